/*
 * fuzz_decode.c - libFuzzer target: every generated decoder on any input.
 *
 * Whatever the input, decoding must not crash, leak or read out of bounds,
 * and anything accepted must re-encode to bytes that decode to the same
 * encoding again (encode(decode(x)) is a fixed point); its encoding for an
 * original peer (level 0) is refused (an extension variant) or decodes and
 * re-encodes to itself too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t t = 0; t < kq_protocol_type_count; t++) {
        const kq_type_ops *ops = &kq_protocol_types[t];
        void *a = malloc(ops->size), *b = malloc(ops->size);
        kq_buf x = KQ_BUF_INIT, y = KQ_BUF_INIT;
        kq_error err;

        if (ops->decode((const char *)data, size, a, &err) == 0) {
            if (ops->encode(a, &x) != 0)
                abort();
            if (ops->decode(kq_buf_ptr(&x), x.len, b, &err) != 0)
                abort();
            if (ops->encode(b, &y) != 0 || x.len != y.len ||
                memcmp(kq_buf_ptr(&x), kq_buf_ptr(&y), x.len) != 0)
                abort();
            ops->free(b);
            kq_buf_clear(&x);
            kq_buf_clear(&y);
            if (ops->encode_at(a, 0, &x) == 0) {
                if (ops->decode(kq_buf_ptr(&x), x.len, b, &err) != 0 ||
                    ops->encode_at(b, 0, &y) != 0 || x.len != y.len ||
                    memcmp(kq_buf_ptr(&x), kq_buf_ptr(&y), x.len) != 0)
                    abort();
                ops->free(b);
            } else if (x.len != 0) {
                abort();
            }
            ops->free(a);
        }
        kq_buf_free(&x);
        kq_buf_free(&y);
        free(a);
        free(b);
    }
    return 0;
}
