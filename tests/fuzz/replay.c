/*
 * replay.c - runs a fuzz target without libFuzzer, so that ctest replays its corpus on every
 * build (as libgit2's fuzzers/standalone_driver.c does). Arguments are files and directories;
 * directories are walked recursively. A path that cannot be read is a failure, so a corpus that
 * went missing does not pass as an empty one.
 *
 * Usage: replay [-v] PATH...   (-v prints each input before running it)
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct replay {
    size_t ran;
    int failed;
    int verbose;
} replay;

/* The input being run, named when the target crashes. */
static const char *current;

static void say_current(void)
{
    if (!current)
        return;
    static const char pre[] = "replay: crashed on input ";
    ssize_t ignored = write(2, pre, sizeof pre - 1);
    ignored = write(2, current, strlen(current));
    ignored = write(2, "\n", 1);
    (void)ignored;
}

static void on_signal(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Sanitizers end the process without a signal; they call this hook first when it exists. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static int read_whole(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

static void run_path(replay *rp, const char *path);

static void run_dir(replay *rp, const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: cannot open directory %s: %s\n", path, strerror(errno));
        rp->failed = 1;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *child = malloc(n);
        if (!child) {
            fprintf(stderr, "replay: out of memory\n");
            rp->failed = 1;
            break;
        }
        snprintf(child, n, "%s/%s", path, de->d_name);
        run_path(rp, child);
        free(child);
    }
    closedir(d);
}

static void run_path(replay *rp, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        rp->failed = 1;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        run_dir(rp, path);
        return;
    }
    uint8_t *data;
    size_t len;
    if (read_whole(path, &data, &len) != 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        rp->failed = 1;
        return;
    }
    if (rp->verbose)
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    current = path;
    LLVMFuzzerTestOneInput(data, len);
    current = NULL;
    free(data);
    rp->ran++;
}

int main(int argc, char **argv)
{
    replay rp = {0, 0, 0};
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        rp.verbose = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [-v] FILE|DIRECTORY...\n", argv[0]);
        return 2;
    }
    /* Under a sanitizer its own handlers report memory faults (and then call the death
     * callback); replacing them would lose the report. abort() is left to us either way. */
    signal(SIGABRT, on_signal);
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(say_current);
    } else {
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], on_signal);
    }
    for (int i = first; i < argc; i++)
        run_path(&rp, argv[i]);
    printf("replay: ran %zu inputs\n", rp.ran);
    return rp.failed ? 1 : 0;
}
