/*
 * test_journal.c - the store's journal: frames read back as written, a
 * torn tail cut off, damage refused untouched (or salvaged on request,
 * and set aside), one process at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kq_journal.h"
#include "kq_test.h"

static char dir[64], path[128];

static uint64_t file_size(void)
{
    struct stat sb;

    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static void append_raw(const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);

    CHECK(fd >= 0 && write(fd, p, n) == (ssize_t)n);
    close(fd);
}

static void flip_byte(uint64_t off)
{
    int fd = open(path, O_RDWR);
    unsigned char c = 0;

    CHECK(pread(fd, &c, 1, (off_t)off) == 1);
    c ^= 0x40;
    CHECK(pwrite(fd, &c, 1, (off_t)off) == 1);
    close(fd);
}

/* A fresh journal holding frames "frame 0", "frame 1", ... (n of them). */
static void make(int n, uint64_t gen)
{
    kq_journal j;
    kq_error err;

    unlink(path);
    CHECK_INT(kq_journal_open(&j, path, &err), 0);
    CHECK(j.created);
    CHECK_INT(j.end, 0);
    CHECK_INT(kq_journal_reset(&j, 77, gen, &err), 0);
    for (int i = 0; i < n; i++) {
        char text[32];

        snprintf(text, sizeof text, "frame %d", i);
        CHECK_INT(kq_journal_append(&j, text, strlen(text), &err), 0);
    }
    kq_journal_close(&j);
}

/* Reopens and reads every frame: how many there are, their text joined. */
static int read_all(char *joined, size_t cap, uint64_t *end)
{
    kq_buf b = KQ_BUF_INIT;
    kq_journal j;
    kq_error err;
    uint64_t off = KQ_JOURNAL_HEADER;
    int n = 0;

    joined[0] = '\0';
    if (kq_journal_open(&j, path, &err) < 0)
        return -1;
    while (off < j.end && (kq_buf_clear(&b), kq_journal_read(&j, &off, &b, &err) == 0)) {
        strncat(joined, kq_buf_ptr(&b), cap - strlen(joined) - 2);
        strcat(joined, ";");
        n++;
    }
    *end = j.end;
    kq_journal_close(&j);
    kq_buf_free(&b);
    return n;
}

static void test_round_trip(void)
{
    char text[256];
    uint64_t end;
    kq_journal j;
    kq_error err;

    make(3, 5);
    CHECK_INT(read_all(text, sizeof text, &end), 3);
    CHECK_STR(text, "frame 0;frame 1;frame 2;");
    CHECK_INT(end, file_size());
    CHECK_INT(kq_journal_open(&j, path, &err), 0);
    CHECK(!j.created);
    CHECK_INT(j.owner, 77);
    CHECK_INT(j.generation, 5);
    /* Frames of 0 bytes are refused (a zeroed region must never pass). */
    CHECK_INT(kq_journal_append(&j, "", 0, &err), -EINVAL);
    /* Reset empties it and starts a generation. */
    CHECK_INT(kq_journal_reset(&j, 77, 6, &err), 0);
    CHECK_INT(j.end, KQ_JOURNAL_HEADER);
    CHECK_INT(kq_journal_append(&j, "after", 5, &err), 0);
    kq_journal_close(&j);
    CHECK_INT(read_all(text, sizeof text, &end), 1);
    CHECK_STR(text, "after;");
}

static void test_torn_tail_cut_off(void)
{
    static const unsigned char torn[] = {100, 0, 0, 0, 1, 2, 3, 4, 'p', 'a', 'r'};
    char text[256], zeros[5000] = {0};
    uint64_t end, before;
    kq_journal j;
    kq_error err;

    make(2, 1);
    before = file_size();
    append_raw(torn, sizeof torn);
    CHECK_INT(read_all(text, sizeof text, &end), 2);
    CHECK_INT(end, before);
    /* The next frame follows the valid ones, not the torn bytes. */
    CHECK_INT(kq_journal_open(&j, path, &err), 0);
    CHECK(j.torn);
    CHECK_INT(kq_journal_append(&j, "next", 4, &err), 0);
    kq_journal_close(&j);
    CHECK_INT(read_all(text, sizeof text, &end), 3);
    CHECK_STR(text, "frame 0;frame 1;next;");
    CHECK_INT(end, file_size());
    /* A last frame with a wrong sum, and zeros a power loss left. */
    flip_byte(file_size() - 1);
    CHECK_INT(read_all(text, sizeof text, &end), 2);
    make(2, 1);
    append_raw(zeros, sizeof zeros);
    CHECK_INT(read_all(text, sizeof text, &end), 2);
    /* Less than a header: a reset cut short, started anew. */
    make(0, 1);
    CHECK_INT(truncate(path, 10), 0);
    CHECK_INT(read_all(text, sizeof text, &end), 0);
    CHECK_INT(end, 0);
}

static void test_damage_refused(void)
{
    char text[256];
    uint64_t end, size;
    kq_journal j;
    kq_error err;

    /* The first frame's payload changed, the second follows it. */
    make(2, 1);
    size = file_size();
    flip_byte(KQ_JOURNAL_HEADER + 8 + 2);
    CHECK_INT(kq_journal_open(&j, path, &err), -EPROTO);
    CHECK(strstr(err.msg, "the frame at byte 32 is damaged and more follows"));
    CHECK_INT(file_size(), size);
    /* A damaged header, and a file that is no journal. */
    make(1, 1);
    flip_byte(17);
    CHECK_INT(kq_journal_open(&j, path, &err), -EPROTO);
    CHECK(strstr(err.msg, "the header is damaged"));
    make(0, 1);
    CHECK_INT(truncate(path, 0), 0);
    append_raw("this is not a journal, just text", 32);
    CHECK_INT(kq_journal_open(&j, path, &err), -EPROTO);
    CHECK(strstr(err.msg, "is not a Kueue-C journal"));
    CHECK_INT(read_all(text, sizeof text, &end), -1);
    /* A frame changed after it was checked at open. */
    make(1, 1);
    CHECK_INT(kq_journal_open(&j, path, &err), 0);
    flip_byte(KQ_JOURNAL_HEADER + 8);
    {
        kq_buf b = KQ_BUF_INIT;
        uint64_t off = KQ_JOURNAL_HEADER;

        CHECK_INT(kq_journal_read(&j, &off, &b, &err), -EPROTO);
        CHECK(strstr(err.msg, "is damaged"));
        kq_buf_free(&b);
    }
    kq_journal_close(&j);
}

static void test_generation_seeds_the_sums(void)
{
    unsigned char head[KQ_JOURNAL_HEADER];
    char other[160];
    kq_journal j;
    kq_error err;
    int in, out;

    /* Frames of generation 1 behind a valid header of generation 2 (as
     * if a reset's header landed on old frames) do not pass. */
    snprintf(other, sizeof other, "%s.2", path);
    unlink(other);
    CHECK_INT(kq_journal_open(&j, other, &err), 0);
    CHECK_INT(kq_journal_reset(&j, 77, 2, &err), 0);
    kq_journal_close(&j);
    make(2, 1);
    in = open(other, O_RDONLY);
    out = open(path, O_RDWR);
    CHECK(pread(in, head, sizeof head, 0) == (ssize_t)sizeof head);
    CHECK(pwrite(out, head, sizeof head, 0) == (ssize_t)sizeof head);
    close(in);
    close(out);
    unlink(other);
    CHECK_INT(kq_journal_open(&j, path, &err), -EPROTO);
    CHECK(strstr(err.msg, "the frame at byte 32 is damaged"));
}

/* In a child with a file size limit: a frame that would cross it fails
 * with the real cause (it was reported as ENOSPC after a short write) and
 * leaves the file as it was. */
static int append_past_the_limit(void)
{
    struct rlimit lim = {0, RLIM_INFINITY};
    char big[4096] = {0};
    kq_journal j;
    kq_error err;
    uint64_t end;

    signal(SIGXFSZ, SIG_IGN);
    if (kq_journal_open(&j, path, &err) < 0)
        return 1;
    end = j.end;
    lim.rlim_cur = end + 100;
    if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
        return 2;
    if (kq_journal_append(&j, big, sizeof big, &err) != -EFBIG ||
        !strstr(err.msg, "File too large"))
        return 3;
    if (j.end != end || file_size() != end)
        return 4;
    kq_journal_close(&j);
    return 0;
}

static void test_failed_write_leaves_the_file(void)
{
    char text[256];
    uint64_t end;
    pid_t pid;
    int status;

    make(2, 1);
    pid = fork();
    if (pid == 0)
        _exit(append_past_the_limit());
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
    CHECK_INT(read_all(text, sizeof text, &end), 2);
    CHECK_INT(end, file_size());
}

static void test_one_process_at_a_time(void)
{
    kq_journal j, k;
    kq_error err;
    pid_t pid;
    int status;

    make(1, 1);
    CHECK_INT(kq_journal_open(&j, path, &err), 0);
    /* flock is per open file: a second open, even here, is refused. */
    CHECK_INT(kq_journal_open(&k, path, &err), -EBUSY);
    CHECK(strstr(err.msg, "is in use by another kueue_server"));
    pid = fork();
    if (pid == 0)
        _exit(kq_journal_open(&k, path, &err) == -EBUSY ? 0 : 1);
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    kq_journal_close(&j);
    CHECK_INT(kq_journal_open(&k, path, &err), 0);
    kq_journal_close(&k);
}

/* Frame k of make(): "frame k" behind its 8-byte head. */
#define FRAME_AT(k) (KQ_JOURNAL_HEADER + 15 * (uint64_t)(k))

/* Reads every frame of an open journal, skipping its gaps. */
static void read_open(kq_journal *j, char *joined, size_t cap)
{
    kq_buf b = KQ_BUF_INIT;
    kq_error err;
    uint64_t off = kq_journal_skip_gaps(j, KQ_JOURNAL_HEADER);

    joined[0] = '\0';
    while (off < j->end) {
        kq_buf_clear(&b);
        if (kq_journal_read(j, &off, &b, &err) < 0)
            break;
        strncat(joined, kq_buf_ptr(&b), cap - strlen(joined) - 2);
        strcat(joined, ";");
        off = kq_journal_skip_gaps(j, off);
    }
    kq_buf_free(&b);
}

static void test_salvage(void)
{
    kq_journal_scan salvage = {0, 0, true};
    char text[256];
    kq_journal j;
    kq_error err;
    uint64_t size;

    /* A damaged payload: its length leads to the next frame, skipped. */
    make(4, 1);
    flip_byte(FRAME_AT(1) + 8 + 3);
    size = file_size();
    CHECK_INT(kq_journal_open(&j, path, &err), -EPROTO);
    CHECK_INT(kq_journal_open_from(&j, path, &salvage, &err), 0);
    CHECK_INT(j.ngaps, 1);
    CHECK(j.ngaps == 1 && j.gaps[0].off == FRAME_AT(1) && j.gaps[0].len == 15);
    CHECK_INT(j.dropped, 0);
    CHECK_INT(j.end, size);
    read_open(&j, text, sizeof text);
    CHECK_STR(text, "frame 0;frame 2;frame 3;");
    kq_journal_close(&j);
    CHECK_INT(file_size(), size);
    /* A damaged length (7 became 3): nothing after it can be found, it
     * is dropped. */
    make(4, 1);
    {
        int fd = open(path, O_RDWR);
        unsigned char three = 3;

        CHECK(pwrite(fd, &three, 1, (off_t)FRAME_AT(1)) == 1);
        close(fd);
    }
    CHECK_INT(kq_journal_open_from(&j, path, &salvage, &err), 0);
    CHECK_INT(j.ngaps, 0);
    CHECK_INT(j.dropped_at, FRAME_AT(1));
    CHECK_INT(j.dropped, file_size() - FRAME_AT(1));
    CHECK_INT(j.end, FRAME_AT(1));
    read_open(&j, text, sizeof text);
    CHECK_STR(text, "frame 0;");
    kq_journal_close(&j);
    /* Damage below where the frames are folded is not even looked at. */
    make(3, 1);
    flip_byte(FRAME_AT(0) + 8 + 3);
    CHECK_INT(kq_journal_open_from(&j, path, &(kq_journal_scan){1, FRAME_AT(1), false},
                                   &err), 0);
    CHECK_INT(j.end, file_size());
    kq_journal_close(&j);
    /* ... unless it is of another generation. */
    CHECK_INT(kq_journal_open_from(&j, path, &(kq_journal_scan){2, FRAME_AT(1), false},
                                   &err), -EPROTO);
}

static void test_set_aside(void)
{
    char aside[192], text[256];
    struct stat sb;
    kq_journal j;
    kq_error err;
    uint64_t size, end;

    snprintf(aside, sizeof aside, "%s.aside", path);
    unlink(aside);
    make(2, 1);
    size = file_size();
    CHECK_INT(kq_journal_open(&j, path, &err), 0);
    CHECK_INT(kq_journal_set_aside(&j, aside, &err), 0);
    CHECK(stat(aside, &sb) == 0 && (uint64_t)sb.st_size == size);
    CHECK_INT(file_size(), 0);
    CHECK_INT(j.end, 0);
    CHECK_INT(kq_journal_reset(&j, 77, 2, &err), 0);
    CHECK_INT(kq_journal_append(&j, "new", 3, &err), 0);
    /* The name taken: refused, and nothing changes. */
    CHECK_INT(kq_journal_set_aside(&j, aside, &err), -EEXIST);
    CHECK(strstr(err.msg, aside));
    CHECK_INT(kq_journal_append(&j, "more", 4, &err), 0);
    kq_journal_close(&j);
    CHECK_INT(read_all(text, sizeof text, &end), 2);
    CHECK_STR(text, "new;more;");
    CHECK(stat(aside, &sb) == 0 && (uint64_t)sb.st_size == size);
    unlink(aside);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kq-journal-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/state-changes", dir);
    test_round_trip();
    test_torn_tail_cut_off();
    test_damage_refused();
    test_generation_seeds_the_sums();
    test_failed_write_leaves_the_file();
    test_one_process_at_a_time();
    test_salvage();
    test_set_aside();
    unlink(path);
    rmdir(dir);
    KQ_TEST_DONE();
}
