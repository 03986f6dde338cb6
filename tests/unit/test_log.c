/*
 * test_log.c - kq_log writes one line per call in the reference's format,
 * with control characters and ill-formed UTF-8 of the message escaped, so
 * that a string from a peer cannot forge log lines (issue 12.6).
 */
#include <stdlib.h>
#include <unistd.h>

#include "kq_log.h"
#include "kq_test.h"

/* The text kq_log writes for one call, captured from stdout. */
static char captured[16384];

#define LOG_CAPTURE(...)                                                     \
    do {                                                                     \
        int fds_[2], saved_;                                                 \
        ssize_t got_;                                                        \
        if (pipe(fds_) != 0)                                                 \
            abort();                                                         \
        saved_ = dup(STDOUT_FILENO);                                         \
        dup2(fds_[1], STDOUT_FILENO);                                        \
        kq_log(KQ_LOG_ERROR, __VA_ARGS__);                                   \
        dup2(saved_, STDOUT_FILENO);                                         \
        close(saved_);                                                       \
        close(fds_[1]);                                                      \
        got_ = read(fds_[0], captured, sizeof captured - 1);                 \
        captured[got_ > 0 ? got_ : 0] = '\0';                                \
        close(fds_[0]);                                                      \
    } while (0)

/* The message part of the captured line (after "[module] "), with its
 * newline; checks the line has the reference's prefix. */
static const char *message(void)
{
    const char *p = strstr(captured, " ERROR [test] ");

    CHECK(p != NULL && p - captured == 24 && captured[23] == 'Z');
    return p ? p + strlen(" ERROR [test] ") : "";
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

int main(void)
{
    kq_log_init("test", KQ_LOG_INFO);

    LOG_CAPTURE("Worker \"%s\" connected", "node1");
    CHECK_STR(message(), "Worker \"node1\" connected\n");

    /* A name that would start a forged ERROR line. */
    LOG_CAPTURE("Worker \"%s\" connected", "x\n2024-01-30T12:34:56.123Z ERROR forged");
    CHECK_STR(message(), "Worker \"x\\n2024-01-30T12:34:56.123Z ERROR forged\" "
                         "connected\n");
    CHECK_INT(count_lines(captured), 1);

    /* Every C0 control, DEL, and the C1 controls (which some terminals
     * obey) escaped; backslashes and printable text as they are. */
    LOG_CAPTURE("%s", "a\r\tb\x1b[31mred\x7f\x01 \\n \xc2\x9b" "2J");
    CHECK_STR(message(), "a\\r\\tb\\x1b[31mred\\x7f\\x01 \\n \\xc2\\x9b2J\n");

    /* Well-formed UTF-8 stays; ill-formed bytes are escaped one by one. */
    LOG_CAPTURE("%s", "gr\xc3\xbc\xc3\x9f \xe6\x97\xa5 \xf0\x9f\x98\x80 \xc2\xa0|"
                      "\xff\xc3(\xe6\x97 \xed\xa0\x80");
    CHECK_STR(message(), "gr\xc3\xbc\xc3\x9f \xe6\x97\xa5 \xf0\x9f\x98\x80 \xc2\xa0|"
                         "\\xff\\xc3(\\xe6\\x97 \\xed\\xa0\\x80\n");

    /* A long message of newlines is still one line, cut short. */
    {
        static char many[5000];

        memset(many, '\n', sizeof many - 1);
        LOG_CAPTURE("%s", many);
        CHECK_INT(count_lines(captured), 1);
        CHECK(strlen(captured) <= 4096);
        CHECK(strncmp(message(), "\\n\\n\\n", 6) == 0);
    }
    /* A long message of multi-byte characters is cut between them. */
    {
        static char wide[3 * 1000 + 1];

        for (size_t i = 0; i < 1000; i++)
            memcpy(wide + 3 * i, "\xe6\x97\xa5", 3);
        LOG_CAPTURE("%s", wide);
        CHECK_INT(count_lines(captured), 1);
        CHECK(strstr(captured, "\\x") == NULL);
    }
    KQ_TEST_DONE();
}
