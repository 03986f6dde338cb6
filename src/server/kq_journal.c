/*
 * kq_journal.c - an append-only file of checksummed frames (see
 * kq_journal.h).
 */
#include "kq_journal.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kq_log.h"

static const char magic[8] = {'K', 'Q', 'J', 'O', 'U', 'R', 'N', '1'};

enum { FRAME_HEAD = 8 };

/*
 * Fletcher-style sums over 64-bit words, as SQLite's WAL does over 32-bit
 * ones: a few bytes a cycle, and a frame cut short, zeroed or shifted
 * fails.  Torn writes are what it guards against, not an adversary.
 */
static uint64_t checksum(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t a = seed ^ 0x9e3779b97f4a7c15u, b = seed + n, w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        a += le64toh(w);
        b += a;
    }
    if (n) {
        unsigned char last[8] = {0};

        memcpy(last, s, n);
        memcpy(&w, last, 8);
        a += le64toh(w);
        b += a;
    }
    b ^= b >> 31;
    b *= 0xbf58476d1ce4e5b9u;
    return a ^ b ^ (b >> 29);
}

static uint32_t frame_sum(const kq_journal *j, uint32_t len, const void *p)
{
    uint64_t s = checksum(j->generation * 0x94d049bb133111ebu ^ j->owner ^ len, p, len);

    return (uint32_t)(s ^ (s >> 32));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return le64toh(v);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static uint32_t get_le32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return le32toh(v);
}

/* Reads exactly n bytes at off: 0, -errno, or -ENODATA at the end of the
 * file. */
static int read_at(int fd, void *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ENODATA;
        p = (char *)p + r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Whether the file holds only zero bytes from off on (what a power loss
 * can leave of data never written back). */
static int zeros_from(int fd, uint64_t off, uint64_t size, bool *zero)
{
    unsigned char chunk[4096];

    *zero = true;
    while (off < size && *zero) {
        size_t n = size - off < sizeof chunk ? (size_t)(size - off) : sizeof chunk;
        int rc = read_at(fd, chunk, n, off);

        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (chunk[i]) {
                *zero = false;
                break;
            }
        off += n;
    }
    return 0;
}

/* Checks the frame at *off (below size): 1 and *off moved past it if it
 * is whole and passes its check, 0 if not, or -errno.  The payload is
 * appended to buf (only kept there when it passes). */
static int check_frame(kq_journal *j, uint64_t *off, uint64_t size, kq_buf *buf,
                       uint32_t *len)
{
    unsigned char head[FRAME_HEAD];
    char *p;
    int rc;

    *len = 0;
    if (size - *off < FRAME_HEAD)
        return 0;
    if ((rc = read_at(j->fd, head, FRAME_HEAD, *off)) < 0)
        return rc;
    *len = get_le32(head);
    if (*len == 0 || *len > KQ_JOURNAL_FRAME_MAX || size - *off - FRAME_HEAD < *len)
        return 0;
    if (kq_buf_reserve(buf, *len) < 0)
        return -ENOMEM;
    p = kq_buf_ptr(buf) + buf->len;
    if ((rc = read_at(j->fd, p, *len, *off + FRAME_HEAD)) < 0)
        return rc == -ENODATA ? 0 : rc;
    if (frame_sum(j, *len, p) != get_le32(head + 4))
        return 0;
    buf->len += *len;
    p[*len] = '\0';
    *off += FRAME_HEAD + *len;
    return 1;
}

/* Whether the damaged frame of len bytes at off (below size) can be
 * skipped: a frame that passes its check follows it. */
static int skippable(kq_journal *j, uint64_t off, uint64_t size, uint32_t len, kq_buf *buf)
{
    uint64_t next = off + FRAME_HEAD + len;
    uint32_t next_len;

    if (len == 0 || len > KQ_JOURNAL_FRAME_MAX || next >= size)
        return 0;
    kq_buf_clear(buf);
    return check_frame(j, &next, size, buf, &next_len);
}

static int add_gap(kq_journal *j, uint64_t off, uint64_t len)
{
    kq_journal_gap *grown = realloc(j->gaps, (j->ngaps + 1) * sizeof *grown);

    if (!grown)
        return -ENOMEM;
    j->gaps = grown;
    j->gaps[j->ngaps++] = (kq_journal_gap){off, len};
    return 0;
}

/* Reads the header and finds the end of the valid frames (skipping
 * damaged ones when salvaging). */
static int scan(kq_journal *j, uint64_t size, const kq_journal_scan *how, kq_error *err)
{
    unsigned char head[KQ_JOURNAL_HEADER];
    kq_buf buf = KQ_BUF_INIT;
    uint64_t off = KQ_JOURNAL_HEADER;
    bool salvage = how && how->salvage;
    uint32_t len;
    bool zero;
    int rc;

    if (size < KQ_JOURNAL_HEADER) {
        /* A reset cut short: no frame was ever written after it. */
        kq_warn("%s: %llu bytes, less than a header (a reset cut short?); started anew",
                j->path, (unsigned long long)size);
        return 0;
    }
    if ((rc = read_at(j->fd, head, sizeof head, 0)) < 0)
        goto io;
    if (memcmp(head, magic, sizeof magic) != 0) {
        kq_error_set(err, "%s is not a Kueue-C journal; refusing to touch it", j->path);
        return -EPROTO;
    }
    if (checksum(0, head, 24) != get_le64(head + 24)) {
        kq_error_set(err, "%s: the header is damaged; refusing to touch it (move it "
                          "aside to start without the changes it holds)", j->path);
        return -EPROTO;
    }
    j->owner = get_le64(head + 8);
    j->generation = get_le64(head + 16);
    if (how && how->generation == j->generation && how->from > off && how->from <= size)
        off = how->from;
    while (off < size) {
        kq_buf_clear(&buf);
        if ((rc = check_frame(j, &off, size, &buf, &len)) == 1)
            continue;
        if (rc == 0 && salvage && (rc = skippable(j, off, size, len, &buf)) == 1) {
            if ((rc = add_gap(j, off, FRAME_HEAD + (uint64_t)len)) < 0)
                break;
            off += FRAME_HEAD + (uint64_t)len;
            continue;
        }
        break;
    }
    kq_buf_free(&buf);
    if (rc == -ENOMEM) {
        kq_error_set(err, "out of memory reading %s", j->path);
        return rc;
    }
    if (rc < 0)
        goto io;
    j->end = off;
    if (off == size)
        return 0;
    j->torn = true;
    /* The last frame was cut short (the tail is cut off by the next
     * write), unless more follows it: then the file was damaged. */
    if ((uint64_t)FRAME_HEAD + len < size - off &&
        ((rc = zeros_from(j->fd, off, size, &zero)) < 0 || !zero)) {
        if (rc < 0)
            goto io;
        if (salvage) {
            j->dropped_at = off;
            j->dropped = size - off;
            return 0;
        }
        kq_error_set(err, "%s: the frame at byte %llu is damaged and more follows; "
                          "refusing to touch it (kueue_server --salvage starts "
                          "without the changes it holds)", j->path, (unsigned long long)off);
        return -EPROTO;
    }
    kq_warn("%s: dropping %llu bytes at its end, a write cut short by a crash",
            j->path, (unsigned long long)(size - off));
    return 0;
io:
    kq_buf_free(&buf);
    kq_error_set(err, "read %s: %s", j->path,
                 rc == -ENODATA ? "the file shrank while being read" : strerror(-rc));
    return rc == -ENODATA ? -EIO : rc;
}

int kq_journal_open(kq_journal *j, const char *path, kq_error *err)
{
    return kq_journal_open_from(j, path, NULL, err);
}

int kq_journal_open_from(kq_journal *j, const char *path, const kq_journal_scan *how,
                         kq_error *err)
{
    struct stat sb;
    int rc;

    memset(j, 0, sizeof *j);
    j->fd = -1;
    if (!(j->path = strdup(path)))
        return -ENOMEM;
    j->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (j->fd >= 0)
        j->created = true;
    else if (errno == EEXIST)
        j->fd = open(path, O_RDWR | O_CLOEXEC);
    if (j->fd < 0) {
        rc = -errno;
        kq_error_set(err, "open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
        if (rc == -EBUSY)
            kq_error_set(err, "%s is in use by another kueue_server", path);
        else
            kq_error_set(err, "flock %s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(j->fd, &sb) < 0) {
        rc = -errno;
        kq_error_set(err, "fstat %s: %s", path, strerror(errno));
        goto fail;
    }
    if (sb.st_size > 0 && (rc = scan(j, (uint64_t)sb.st_size, how, err)) < 0)
        goto fail;
    return 0;
fail:
    kq_journal_close(j);
    return rc;
}

void kq_journal_close(kq_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    free(j->path);
    free(j->gaps);
    j->fd = -1;
    j->path = NULL;
    j->gaps = NULL;
    j->ngaps = 0;
}

uint64_t kq_journal_skip_gaps(const kq_journal *j, uint64_t off)
{
    for (size_t i = 0; i < j->ngaps; i++)
        if (j->gaps[i].off == off)
            off += j->gaps[i].len;
    return off;
}

/* Makes a rename in the directory of path durable. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : strdup(".");
    int fd, rc = 0;

    if (!dir)
        return -ENOMEM;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

int kq_journal_set_aside(kq_journal *j, const char *aside, kq_error *err)
{
    size_t n = strlen(j->path) + sizeof ".new";
    char *fresh = malloc(n);
    const char *what = "open";
    int fd = -1, rc;

    if (!fresh)
        return -ENOMEM;
    snprintf(fresh, n, "%s.new", j->path);
    /* The old file keeps its name until the new one takes its place in
     * one rename: a crash leaves one or the other under the name. */
    unlink(fresh);
    if ((fd = open(fresh, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
        (what = "flock", flock(fd, LOCK_EX | LOCK_NB) < 0)) {
        rc = -errno;
        kq_error_set(err, "%s %s: %s", what, fresh, strerror(-rc));
        goto fail;
    }
    if (link(j->path, aside) < 0) {
        rc = -errno;
        kq_error_set(err, "link %s to %s: %s", j->path, aside, strerror(-rc));
        goto fail;
    }
    if (rename(fresh, j->path) < 0) {
        rc = -errno;
        kq_error_set(err, "rename %s: %s", fresh, strerror(-rc));
        unlink(aside);
        goto fail;
    }
    if ((rc = sync_dir(j->path)) < 0)
        kq_warn("fsync the directory of %s: %s", j->path, strerror(-rc));
    close(j->fd);
    free(j->gaps);
    j->fd = fd;
    j->gaps = NULL;
    j->ngaps = 0;
    j->dropped_at = j->dropped = 0;
    j->end = 0;
    j->torn = false;
    free(fresh);
    return 0;
fail:
    if (fd >= 0) {
        close(fd);
        unlink(fresh);
    }
    free(fresh);
    return rc;
}

int kq_journal_reset(kq_journal *j, uint64_t owner, uint64_t generation, kq_error *err)
{
    unsigned char head[KQ_JOURNAL_HEADER];
    const char *what = "ftruncate";

    memcpy(head, magic, sizeof magic);
    put_le64(head + 8, owner);
    put_le64(head + 16, generation);
    put_le64(head + 24, checksum(0, head, 24));
    j->end = 0;
    j->torn = false;
    if (ftruncate(j->fd, 0) < 0 ||
        (what = "write", pwrite(j->fd, head, sizeof head, 0) != (ssize_t)sizeof head) ||
        (what = "fdatasync", fdatasync(j->fd) < 0)) {
        int e = errno ? errno : EIO;

        kq_error_set(err, "%s %s: %s", what, j->path, strerror(e));
        return -e;
    }
    j->owner = owner;
    j->generation = generation;
    j->end = KQ_JOURNAL_HEADER;
    return 0;
}

int kq_journal_append(kq_journal *j, const void *p, size_t n, kq_error *err)
{
    unsigned char head[FRAME_HEAD];
    size_t done = 0;
    ssize_t r = 0;
    int e;

    if (n == 0 || n > KQ_JOURNAL_FRAME_MAX || j->end < KQ_JOURNAL_HEADER) {
        kq_error_set(err, "write %s: a frame of %zu bytes (1 to %u fit)", j->path, n,
                     KQ_JOURNAL_FRAME_MAX);
        return -EINVAL;
    }
    /* What a crash left past the frames goes before anything follows them. */
    if (j->torn && ftruncate(j->fd, (off_t)j->end) < 0) {
        e = errno;
        kq_error_set(err, "ftruncate %s: %s", j->path, strerror(e));
        return -e;
    }
    j->torn = false;
    put_le32(head, (uint32_t)n);
    put_le32(head + 4, frame_sum(j, (uint32_t)n, p));
    /* A short write goes on with the rest, so that a failure reports its
     * real cause (a full disk, a file size limit). */
    while (done < sizeof head + n) {
        size_t skip = done > sizeof head ? done - sizeof head : 0;
        struct iovec iov[2];
        int k = 0;

        if (done < sizeof head)
            iov[k++] = (struct iovec){head + done, sizeof head - done};
        iov[k++] = (struct iovec){(char *)p + skip, n - skip};
        r = pwritev(j->fd, iov, k, (off_t)(j->end + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    if (done == sizeof head + n) {
        j->end += done;
        return 0;
    }
    e = r < 0 ? errno : EIO;
    /* A partial frame would pass for a torn one at the next start, and
     * the next frame would follow it: cut it off. */
    if (done && ftruncate(j->fd, (off_t)j->end) < 0)
        j->torn = true;
    kq_error_set(err, "write %s: %s", j->path, strerror(e));
    return -e;
}

int kq_journal_read(kq_journal *j, uint64_t *off, kq_buf *out, kq_error *err)
{
    uint32_t len;
    int rc;

    if (*off < KQ_JOURNAL_HEADER || *off >= j->end) {
        kq_error_set(err, "read %s: no frame at byte %llu", j->path, (unsigned long long)*off);
        return -EINVAL;
    }
    rc = check_frame(j, off, j->end, out, &len);
    if (rc == 1)
        return 0;
    if (rc == 0) {
        kq_error_set(err, "%s: the frame at byte %llu is damaged (changed since it was "
                          "written?)", j->path, (unsigned long long)*off);
        return -EPROTO;
    }
    kq_error_set(err, "read %s: %s", j->path, strerror(-rc));
    return rc;
}
