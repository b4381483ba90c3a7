/* Signals for the commands that write (fix, scan): SIGINT, SIGTERM and SIGHUP ask the run
 * to stop; the apply stops at its next step before activating, and from the activation on
 * finishes verifying or rolling back. That critical section has a bounded grace: when it
 * ends, or a second signal comes, the run is cut short and says on stderr what state it
 * leaves (the intent record stays, and the next run for the service finishes the job).
 * SIGPIPE is ignored: a reader that goes away (`| head -1`) must not kill a run mid-apply;
 * writes then fail and are reported instead.
 *
 * One thread waits for the signals (they are blocked in every other thread), so nothing
 * here runs in a signal handler. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define DEFAULT_GRACE_S 20

static atomic_int stop_signal;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static char state_line[600] = "nothing was written yet";
static long grace_s = DEFAULT_GRACE_S;
static sigset_t stop_set;

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}

_Noreturn static void cut_short(const char *why)
{
    char line[900];
    pthread_mutex_lock(&state_lock);
    int n = snprintf(line, sizeof(line), "fixorigin: %s: stopping now; %s\n", why, state_line);
    pthread_mutex_unlock(&state_lock);
    if (n > 0) {
        size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
        ssize_t w = write(STDERR_FILENO, line, len);
        (void)w;
    }
    _exit(FO_EXIT_ERROR);
}

static void *waiter(void *arg)
{
    (void)arg;
    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0) {
    }
    atomic_store(&stop_signal, sig);
    char first[64];
    snprintf(first, sizeof(first), "%s", signal_name(sig));
    fprintf(stderr,
            "fixorigin: %s: finishing the step under way (at most %ld s; a second signal "
            "stops at once)\n",
            first, grace_s);
    struct timespec grace = {.tv_sec = grace_s, .tv_nsec = 0};
    siginfo_t info;
    int again;
    while ((again = sigtimedwait(&stop_set, &info, &grace)) < 0 && errno == EINTR) {
    }
    char why[128];
    if (again > 0)
        snprintf(why, sizeof(why), "%s again", signal_name(again));
    else
        snprintf(why, sizeof(why), "%s, and the %ld s grace is over", first, grace_s);
    cut_short(why);
    return NULL;
}

int fo_cmd_signals_start(void)
{
    const char *env = getenv("FIXORIGIN_GRACE_S");
    long value;
    if (env && fo_cmd_parse_int(env, 1, 3600, &value))
        grace_s = value;
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGHUP);
    /* Before any other thread starts: they all inherit the mask. */
    if (pthread_sigmask(SIG_BLOCK, &stop_set, NULL) != 0)
        return FO_EIO;
    pthread_t thread;
    if (pthread_create(&thread, NULL, waiter, NULL) != 0) {
        pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);
        return FO_EIO;
    }
    pthread_detach(thread);
    return 0;
}

bool fo_cmd_stop_requested(void *ctx)
{
    (void)ctx;
    return atomic_load(&stop_signal) != 0;
}

int fo_cmd_stop_signal(void)
{
    return atomic_load(&stop_signal);
}

void fo_cmd_signals_state(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&state_lock);
    vsnprintf(state_line, sizeof(state_line), fmt, ap);
    pthread_mutex_unlock(&state_lock);
    va_end(ap);
}
