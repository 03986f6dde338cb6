/*
 * kq_net.h - sockets: listen, accept, connect, and their options.
 *
 * Every error message names the call and the address, as in
 * "bind 0.0.0.0:11236: Address already in use".  Connected sockets get
 * TCP_NODELAY: the protocol is request/response with small messages, and
 * Nagle plus delayed ACKs would add about 40 ms to each exchange.
 */
#ifndef KQ_NET_H
#define KQ_NET_H

#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_error.h"

#define KQ_PEER_MAX 64

/* Splits "host", "host:port", "[v6]" or "[v6]:port" into host and port
 * (default_port when absent).  0 or -EINVAL. */
KQ_NODISCARD int kq_net_split(const char *addr, uint16_t default_port,
                              char *host, size_t host_len, uint16_t *port);

/* A non-blocking listening socket on host:port (IPv6 sockets are v6-only,
 * so "0.0.0.0" and "[::]" can both be bound).  0 or -errno with err. */
KQ_NODISCARD int kq_net_listen(const char *host, uint16_t port, int *fd,
                               kq_error *err);

/* Every connected socket (accepted or connected) gets TCP_NODELAY and TCP
 * keepalive: idle KQ_NET_KEEPALIVE_IDLE_S, then a probe every
 * KQ_NET_KEEPALIVE_INTVL_S, and a peer that has not answered (or
 * acknowledged data sent) for KQ_NET_USER_TIMEOUT_MS is given up on, so a
 * machine that vanished without closing its connections (power cut,
 * reboot, cable) is noticed within minutes, not hours. */
#define KQ_NET_KEEPALIVE_IDLE_S 60
#define KQ_NET_KEEPALIVE_INTVL_S 10
#define KQ_NET_KEEPALIVE_CNT 6
#define KQ_NET_USER_TIMEOUT_MS 120000

/* Accepts one connection: non-blocking, close-on-exec, tuned as above, its
 * peer written to peer.  0, -EAGAIN when none is waiting, or -errno. */
int kq_net_accept(int listen_fd, int *fd, char peer[KQ_PEER_MAX]);

/* Connects to host:port (first address that answers), blocking until
 * connected; the socket is then non-blocking.  0 or -errno with err
 * ("connect localhost:11236: Connection refused"). */
KQ_NODISCARD int kq_net_connect(const char *host, uint16_t port, int *fd,
                                kq_error *err);

/* Starts a non-blocking connect to one resolved address (kq_resolve): 0
 * when already connected, -EINPROGRESS when the caller must wait for the
 * socket to become writable and then call kq_net_connect_finish, or -errno
 * (no socket is left open). */
struct addrinfo;
KQ_NODISCARD int kq_net_connect_addr(const struct addrinfo *ai, int *fd);
/* The outcome of a connect that was in progress: 0 or -errno. */
int kq_net_connect_finish(int fd);

int kq_net_set_nonblock(int fd);
/* TCP_NODELAY and the keepalive above; 0 or -errno of the first failure. */
int kq_net_tune(int fd);

/* "host:port" for messages, bracketing IPv6 literals: "[::1]:5555". */
void kq_net_host_port(char *out, size_t n, const char *host, uint16_t port);

/* "127.0.0.1:5555" or "[::1]:5555" of the socket's peer (or local end). */
void kq_net_peer(int fd, char out[KQ_PEER_MAX]);
void kq_net_local(int fd, char out[KQ_PEER_MAX]);

/* Raises the open-files soft limit to the hard limit; returns the new
 * soft limit (or -errno). */
long kq_net_raise_nofile(void);

#endif
