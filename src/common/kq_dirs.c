/*
 * kq_dirs.c - creating parent directories (see kq_dirs.h).
 */
#include "kq_dirs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int kq_dirs_make_parents(const char *path)
{
    char dir[4096];
    size_t n = strlen(path);

    if (n >= sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, n + 1);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}
