/*
 * kq_relay.h - `kueue relay`: a user's local relay that keeps TLS
 * connections to a server open and authenticated, for the kueue calls
 * that would otherwise each pay a TLS handshake (OpenSSL's set-up and
 * the handshake take about 0.6 ms of a call of 1.2 ms).
 *
 * It listens on the Unix socket of kq_relay_link.h.  A call connects,
 * sends KQ_RELAY_HELLO and gets KQ_RELAY_READY once it is paired with a
 * connection of the pool, which did its TLS handshake, its
 * HelloFromClient and its authentication ahead of time.  From then on the
 * relay passes every whole message of one side to the other untouched,
 * and the call speaks the protocol as if it had connected and
 * authenticated itself.  The server keeps a session's state with its
 * connection, so a connection serves the next call only if the last one
 * left that state as the pool had it: it used only requests of the
 * original that get one answer each and leave nothing behind (IssueJob,
 * the lists and shows, RemoveJob, CleanJobs), had every answer, and said
 * Bye, which the relay keeps from the server.  Any other call (a wait, a
 * follow, an extension request) ends its connection.  The pool (two
 * connections) is filled again while no call runs, so that a handshake
 * never delays a call's request at the server, or at once when a call
 * finds it empty.
 *
 * Only this user's processes may connect: the directory is private and
 * the peer's uid is checked, for the socket gives what the shared secret
 * gives.  The relay exits after client_settings.relay_idle_seconds
 * without a call (0: never), as soon as a connection to the server fails
 * (calls then connect by themselves, and the next one that succeeds
 * starts a new relay), or on SIGTERM, SIGINT or SIGHUP.  Everything runs
 * in one kq_loop; nothing blocks but the lookup of the server's address
 * at start.
 */
#ifndef KQ_RELAY_H
#define KQ_RELAY_H

#include "kq_compiler.h"
#include "kq_config.h"
#include "kq_error.h"

/* Runs the relay for cfg until it exits.  0 after an idle exit or a
 * signal; -errno with err when it cannot start (-EALREADY: one runs for
 * this server) or a connection to the server failed. */
KQ_NODISCARD int kq_relay_run(const kq_config *cfg, kq_error *err);

/* kueue relay --stop: stops the relay of cfg's server, waiting for it to
 * exit; prints what it did.  0 (also when none ran) or -errno with err. */
KQ_NODISCARD int kq_relay_stop(const kq_config *cfg, kq_error *err);

#endif
