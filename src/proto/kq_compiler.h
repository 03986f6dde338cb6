/*
 * kq_compiler.h - compiler attributes shared by every module.
 */
#ifndef KQ_COMPILER_H
#define KQ_COMPILER_H

/* Decode and parse functions carry this: ignoring their result means acting
 * on unvalidated input. */
#define KQ_NODISCARD __attribute__((warn_unused_result))
#define KQ_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

#endif
