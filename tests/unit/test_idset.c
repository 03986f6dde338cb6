/*
 * test_idset.c - the id set against a plain bitmap, with removals and
 * iteration.
 */
#include <stdlib.h>

#include "kq_idset.h"
#include "kq_test.h"

int main(void)
{
    static unsigned char model[100000];
    kq_idset s = {0};
    unsigned seed = 1;
    int bad = 0;

    for (int i = 0; i < 300000; i++) {
        uint64_t id;

        seed = seed * 1103515245 + 12345;
        id = (seed >> 8) % 100000;
        if ((seed >> 4) & 1) {
            CHECK_INT(kq_idset_add(&s, id), 0);
            model[id] = 1;
        } else {
            kq_idset_remove(&s, id);
            model[id] = 0;
        }
    }
    for (uint64_t id = 0; id < 100000; id++)
        bad += kq_idset_has(&s, id) != model[id];
    CHECK_INT(bad, 0);
    /* Iteration gives every member once, and may remove as it goes. */
    {
        size_t pos = 0, n = 0, members = s.len;
        uint64_t id;

        while (kq_idset_next(&s, &pos, &id)) {
            bad += !model[id];
            model[id] = 2;
            n++;
            if (id % 2)
                kq_idset_remove(&s, id);
        }
        CHECK_INT(bad, 0);
        CHECK_INT(n, members);
        for (id = 0; id < 100000; id++)
            bad += kq_idset_has(&s, id) != (model[id] == 2 && id % 2 == 0);
        CHECK_INT(bad, 0);
    }
    kq_idset_clear(&s);
    CHECK(!kq_idset_has(&s, 5));
    CHECK_INT(kq_idset_add(&s, 5), 0);
    CHECK(kq_idset_has(&s, 5));
    kq_idset_free(&s);
    KQ_TEST_DONE();
}
