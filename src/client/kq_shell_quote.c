/*
 * kq_shell_quote.c - POSIX shell quoting (see kq_shell_quote.h).
 */
#include "kq_shell_quote.h"

#include <string.h>

/* Characters a word may consist of and still stand unquoted. */
static const char plain_chars[] = "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789@%+=:,./_-";

void kq_sh_put_quoted(kq_buf *out, const char *s)
{
    /* Nothing is special inside '...' but the quote itself, which cannot
     * be escaped there: close, add an escaped quote, reopen. */
    for (; *s; s++) {
        if (*s == '\'')
            kq_buf_puts(out, "'\\''");
        else
            kq_buf_putc(out, *s);
    }
}

void kq_sh_put_word(kq_buf *out, const char *s)
{
    if (s[0] && strspn(s, plain_chars) == strlen(s)) {
        kq_buf_puts(out, s);
        return;
    }
    kq_buf_putc(out, '\'');
    kq_sh_put_quoted(out, s);
    kq_buf_putc(out, '\'');
}
