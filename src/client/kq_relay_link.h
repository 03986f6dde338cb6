/*
 * kq_relay_link.h - where a user's TLS relay for a server lives, and how a
 * kueue call reaches it or starts it (the relay itself: kq_relay.h).
 *
 * A relay serves one user, one server (server_name, server_port) and one
 * shared secret.  It lives in a private directory: $XDG_RUNTIME_DIR/kueue
 * when XDG_RUNTIME_DIR is a directory of this user, else /tmp/kueue-UID,
 * created with mode
 * 0700 and used only while it is a real directory of this user that no
 * one else may enter (its socket hands out authenticated sessions).  In
 * it, relay-ID.sock is the relay's socket and relay-ID.lock the lock the
 * running relay holds (with its pid), where ID is 16 hex digits of
 * HMAC-SHA256 keyed with the TLS key of the secret over the server's name
 * and port: another server or secret gets another relay, and the name
 * tells nothing of the secret.
 */
#ifndef KQ_RELAY_LINK_H
#define KQ_RELAY_LINK_H

#include <sys/un.h>

#include "kq_compiler.h"
#include "kq_config.h"
#include "kq_error.h"

/* How long a call waits for the relay's greeting (it comes at once while
 * a connection is ready, else when one is). */
#define KQ_RELAY_GREETING_MS 12000
/* What a call sends first, and what the relay answers once the session
 * it hands over is authenticated.  Anything else (or a close) means no
 * session: the call connects by itself. */
#define KQ_RELAY_HELLO "{\"KueueRelay\":1}"
#define KQ_RELAY_READY "{\"KueueRelay\":\"ready\"}"

typedef struct kq_relay_where {
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char lock[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
} kq_relay_where;

/* Fills w for cfg's server and secret, creating the directory if needed.
 * 0, or -errno with why (no private directory, or a path too long for a
 * socket). */
KQ_NODISCARD int kq_relay_where_of(const kq_config *cfg, kq_relay_where *w,
                                   kq_error *why);

/* Connects to the relay's socket: 0 with *fd (non-blocking, close-on-
 * exec; the caller owns it), -ENOENT or -ECONNREFUSED when none runs,
 * or another -errno. */
KQ_NODISCARD int kq_relay_dial(const kq_relay_where *w, int *fd);

/* Starts `kueue --config FILE relay` for cfg in the background: its own
 * session, /dev/null for its standard streams, no other descriptor of
 * ours.  Best effort and not waited for: the call that starts it has its
 * own connection, the next ones use the relay. */
void kq_relay_spawn(const kq_config *cfg);

/* The pid of the relay holding w's lock: > 0, or 0 when none runs. */
long kq_relay_running(const kq_relay_where *w);

#endif
