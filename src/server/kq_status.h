/*
 * kq_status.h - the server's status page, JSON API and Prometheus
 * metrics, over HTTP from the server's own loop.
 *
 * On server_settings.status_address (default 127.0.0.1:11237; "" turns it
 * off) kq_httpd serves:
 *   /                one HTML page (kq_status_html)
 *   /api/jobs        the JobList payload of ListJobs (query: num_jobs,
 *                    pending, offered, running, succeeded, failed,
 *                    canceled, as `kueue list-jobs`)
 *   /api/jobs/ID     the JobInfo payload of ShowJob (outputs null unless
 *                    status_show_output)
 *   /api/workers     the WorkerList payload of ListWorkers
 *   /api/resources   the ResourceList payload of ListResources
 *   /metrics         Prometheus' text format
 * The JSON is the generated encoders' bytes, the message's tag left out.
 * All of it is what the protocol gives any client without the secret
 * (lists, not outputs); an address that is not loopback needs
 * status_token, else the server refuses to start.
 *
 * Owns the HTTP server, the kq_metrics the page and /metrics read (hooked
 * to the job table's status changes) and the timer sampling them once a
 * minute; reads the server's state only inside a request, on the loop's
 * thread; never changes it and never writes the store.
 */
#ifndef KQ_STATUS_H
#define KQ_STATUS_H

#include "kq_error.h"

struct kq_server;
typedef struct kq_status kq_status;

/* Default port when status_address has none. */
#define KQ_STATUS_PORT 11237
/* Most jobs /api/jobs lists at once, and when num_jobs is not given. */
#define KQ_STATUS_MAX_JOBS 10000
#define KQ_STATUS_DEFAULT_JOBS 100

/*
 * Starts serving on srv's status_address; *out is NULL when it is empty,
 * and also when it cannot be bound (logged; the server goes on without
 * it).  0, or -EINVAL with err when the address is not loopback and no
 * status_token is set, or is no address; -ENOMEM.
 */
KQ_NODISCARD int kq_status_start(struct kq_server *srv, kq_status **out, kq_error *err);

/* Stops serving and unhooks the counters; NULL is ignored. */
void kq_status_stop(kq_status *st);

#endif
