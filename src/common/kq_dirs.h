/*
 * kq_dirs.h - creating the directories a private file lives in.
 */
#ifndef KQ_DIRS_H
#define KQ_DIRS_H

#include "kq_compiler.h"

/* mkdir -p of the directory part of path, mode 0700 for what it creates
 * (the files that go there hold secrets or job data).  0 or -errno. */
KQ_NODISCARD int kq_dirs_make_parents(const char *path);

#endif
