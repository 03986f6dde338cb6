/*
 * kq_cli.h - the kueue command line: one static table of subcommands,
 * options and positional arguments, and the parser and help printer that
 * read it.
 *
 * The table is the only description of the command line: argument parsing,
 * --help texts and the bash, zsh and fish completion scripts
 * (kq_complete.c) are all derived from it, so they cannot disagree.
 * Parsing follows the reference's clap conventions: short flags combine
 * (-pr), values attach or follow (-j2, -j 2, --cpus=2, --cpus 2), options
 * and positionals interleave, "--" ends the options, and inside `cmd` the
 * first word that is not an option starts the command, which takes the
 * rest of the line verbatim.
 */
#ifndef KQ_CLI_H
#define KQ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a subcommand does; main dispatches on it. */
typedef enum kq_cmd_id {
    KQ_CMD_CMD,
    KQ_CMD_BATCH,
    KQ_CMD_LIST_JOBS,
    KQ_CMD_SHOW_JOB,
    KQ_CMD_WAIT_JOB,
    KQ_CMD_REMOVE_JOB,
    KQ_CMD_CLEAN_JOBS,
    KQ_CMD_LIST_WORKERS,
    KQ_CMD_SHOW_WORKER,
    KQ_CMD_LIST_RESOURCES,
    KQ_CMD_DRAIN,
    KQ_CMD_UNDRAIN,
    KQ_CMD_SET_PRIORITY,
    KQ_CMD_RESTART,
    KQ_CMD_FOLLOW,
    KQ_CMD_LOG,
    KQ_CMD_ALLOC,
    KQ_CMD_RELAY,
    KQ_CMD_COMPLETE,
    KQ_CMD_HELP,
} kq_cmd_id;

/* Every option of the program; indexes the parsed values. */
typedef enum kq_opt_id {
    KQ_OPT_CONFIG,
    KQ_OPT_INIT,
    KQ_OPT_HELP,
    KQ_OPT_VERSION,
    KQ_OPT_JOB_SLOTS,
    KQ_OPT_CPUS,
    KQ_OPT_RAM_MB,
    KQ_OPT_RESOURCE,
    KQ_OPT_STDOUT,
    KQ_OPT_STDERR,
    KQ_OPT_WAIT,
    KQ_OPT_NUM_JOBS,
    KQ_OPT_PENDING,
    KQ_OPT_OFFERED,
    KQ_OPT_RUNNING,
    KQ_OPT_SUCCEEDED,
    KQ_OPT_FAILED,
    KQ_OPT_CANCELED,
    KQ_OPT_KILL,
    KQ_OPT_ALL,
    KQ_OPT_JSON,
    KQ_OPT_AFTER,
    KQ_OPT_AFTER_ANY,
    KQ_OPT_PRIORITY,
    KQ_OPT_TIME_LIMIT,
    KQ_OPT_RETRIES,
    KQ_OPT_ARRAY,
    KQ_OPT_ARRAY_ID,
    KQ_OPT_NAME,
    KQ_OPT_NAME_PATTERN,
    /* kueue alloc (issue 18). */
    KQ_OPT_MAX_WORKERS,
    KQ_OPT_WORKERS_PER_ALLOC,
    KQ_OPT_IDLE_EXIT,
    KQ_OPT_MAX_FAILURES,
    KQ_OPT_CONNECT_TIMEOUT,
    KQ_OPT_SERVER,
    KQ_OPT_WORKER_PROGRAM,
    KQ_OPT_WORKER_CONFIG,
    KQ_OPT_CANCEL,
    KQ_OPT_MARGIN,
    /* Issue 13 (a new user's first day). */
    KQ_OPT_QUEUE_ANYWAY,
    KQ_OPT_NO_ENV,
    KQ_OPT_ENV,
    KQ_OPT_LINES,
    KQ_OPT_ERR_STREAM,
    KQ_OPT_BOTH,
    KQ_OPT_FOLLOW,
    /* Issue 16 (TLS): kueue relay. */
    KQ_OPT_STOP,
    KQ_OPT_COUNT
} kq_opt_id;

/* What a value is: decides parsing (numbers) and completion (files,
 * shells, commands). */
typedef enum kq_arg_type {
    KQ_ARG_FLAG,       /* no value */
    KQ_ARG_U64,        /* unsigned decimal */
    KQ_ARG_TEXT,       /* any text */
    KQ_ARG_PATH,       /* a file name */
    KQ_ARG_SHELL,      /* one of kq_cli_shells */
    KQ_ARG_SUBCOMMAND, /* a subcommand name */
    KQ_ARG_CMDLINE,    /* a program and its arguments */
    KQ_ARG_IDS,        /* job ids and ranges: 12,15,20-29 (kq_wfspec.h) */
    KQ_ARG_I32,        /* signed decimal, 32 bits */
    KQ_ARG_DURATION,   /* 90s, 2h30m, 1d (kq_duration.h), in seconds */
    KQ_ARG_RANGE,      /* an array range: 0-99, 1-1000:10 (kq_wfspec.h) */
    KQ_ARG_RETRIES,    /* unsigned decimal up to KQ_WF_MAX_RETRIES */
    KQ_ARG_NAME,       /* a job name: UTF-8, 1 to KQ_LIMIT_NAME bytes */
} kq_arg_type;

typedef struct kq_cli_opt {
    kq_opt_id id;
    char short_name;        /* 0: long form only */
    const char *long_name;
    const char *value_name; /* shown as <VALUE>; NULL for a flag */
    kq_arg_type type;
    bool repeatable;        /* every value is kept (else: at most once) */
    const char *help;
} kq_cli_opt;

typedef enum kq_pos_kind {
    KQ_POS_REQUIRED,
    KQ_POS_OPTIONAL,
    KQ_POS_TRAILING, /* required; it and all following words, verbatim */
    KQ_POS_REST,     /* the words after "--", verbatim (maybe none); a
                        word before it is an error that says so */
} kq_pos_kind;

typedef struct kq_cli_pos {
    const char *name; /* "JOB_ID" */
    kq_arg_type type;
    kq_pos_kind kind;
    const char *help;
    const char *choices; /* "add list ...": the words completion offers; NULL */
} kq_cli_pos;

#define KQ_CLI_MAX_POS 3

typedef struct kq_cli_cmd {
    kq_cmd_id id;
    const char *name;
    const char *about;      /* one line, for lists */
    const char *long_about; /* further paragraphs for --help, or NULL */
    const kq_cli_opt *const *opts; /* NULL-terminated, -h/--help last */
    const kq_cli_pos *pos;
    size_t npos;
    bool connects;          /* loads the configuration and talks to the server */
} kq_cli_cmd;

extern const kq_cli_cmd kq_cli_commands[];
extern const size_t kq_cli_command_count;
/* Options before the subcommand, NULL-terminated. */
extern const kq_cli_opt *const kq_cli_global_opts[];
/* Shells `complete` knows: kq_cli_shells[KQ_SHELL_ZSH] is "zsh". */
typedef enum kq_shell {
    KQ_SHELL_BASH,
    KQ_SHELL_ZSH,
    KQ_SHELL_FISH,
    KQ_SHELL_COUNT
} kq_shell;

/* Their names, indexed by kq_shell, NULL-terminated. */
extern const char *const kq_cli_shells[KQ_SHELL_COUNT + 1];
extern const char kq_cli_about[];
extern const char kq_cli_version[];

/* The parsed command line.  Strings point into argv. */
typedef struct kq_cli_args {
    const kq_cli_cmd *cmd;
    bool given[KQ_OPT_COUNT];
    const char *value[KQ_OPT_COUNT];  /* value of a non-repeatable option,
                                         or NULL when not given */
    uint64_t number[KQ_OPT_COUNT];    /* the same parsed, for KQ_ARG_U64,
                                         KQ_ARG_RETRIES and KQ_ARG_DURATION
                                         (seconds) */
    int64_t signed_number[KQ_OPT_COUNT]; /* ... for KQ_ARG_I32 */
    const char **resources;           /* every --resource value, in order */
    size_t nresources;
    const char **envs;                /* every --env value, in order */
    size_t nenvs;
    const char *pos[KQ_CLI_MAX_POS];  /* positional values (NULL: absent) */
    uint64_t pos_number[KQ_CLI_MAX_POS];
    int64_t pos_signed[KQ_CLI_MAX_POS]; /* ... of a KQ_ARG_I32 positional */
    char *const *trailing;            /* KQ_POS_TRAILING or KQ_POS_REST words */
    size_t ntrailing;
} kq_cli_args;

/* Outcome of parsing, which is also the exit status for the last two. */
enum {
    KQ_CLI_INIT = -2, /* --init without a subcommand: write a configuration */
    KQ_CLI_RUN = -1,  /* run args->cmd */
    KQ_CLI_DONE = 0,  /* help or version printed on out */
    KQ_CLI_USAGE = 2, /* a usage error (or no subcommand) printed on err */
};

/*
 * Parses argv[1..argc).  Returns KQ_CLI_RUN with args filled (release it
 * with kq_cli_args_free), KQ_CLI_INIT with args->cmd NULL (and -c in
 * args->value), KQ_CLI_DONE after printing help or the version
 * to out, KQ_CLI_USAGE after printing "error: ..." and the usage to err,
 * or -ENOMEM.
 */
int kq_cli_parse(int argc, char *const *argv, kq_cli_args *args, FILE *out,
                 FILE *err);

void kq_cli_args_free(kq_cli_args *args);

/* Prints the help of cmd, or of the program when cmd is NULL. */
void kq_cli_help(FILE *out, const kq_cli_cmd *cmd);

/* The subcommand named name, or NULL. */
const kq_cli_cmd *kq_cli_find(const char *name);

/*
 * Parses a u64 as Rust's str::parse does (digits, an optional leading
 * '+').  0, or -EINVAL with *why set to Rust's message ("invalid digit
 * found in string", ...).
 */
int kq_cli_parse_u64(const char *text, uint64_t *out, const char **why);

#endif
