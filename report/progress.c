/* report/progress.c: one line on a terminal's stderr that says how far a long run is: done
 * of total, the time so far, and what it is waiting on ("probe: 37/99 targets, 6.1 s;
 * waiting on origin.test:443 (line 12) and 11 more"). Nothing at all when stderr is not a
 * terminal: a pipe or a log file gets only data and errors. A ticker redraws the line while
 * nothing finishes, so a long wait shows its time passing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/report.h"

/* How often the line is redrawn at most, and while nothing finishes. */
#define REDRAW_MS 100
#define TICK_MS 250

/* Draws the line (the lock held): erased first, cut to the terminal's width so that it
 * never wraps (a wrapped line cannot be erased with a carriage return). */
static void draw(fo_progress *p)
{
    char line[512];
    long tenths = (long)((fo_now_ms() - p->start_ms) / 100.0);
    bool waiting = p->waiting[0] && p->done < p->total;
    snprintf(line, sizeof(line), "%s: %zu/%zu %s, %ld.%ld s%s%s", p->what, p->done, p->total,
             p->unit, tenths / 10, tenths % 10, waiting ? "; waiting on " : "",
             waiting ? p->waiting : "");
    int width = fo_report_width(p->out);
    size_t room = width > 1 ? (size_t)width - 1 : 1;
    if (strlen(line) > room)
        line[room] = '\0';
    fputs("\r\033[K", p->out);
    fo_report_put_clean(p->out, line);
    fflush(p->out);
    p->drawn = true;
    p->drawn_ms = fo_now_ms();
}

static void *tick(void *arg)
{
    fo_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (!p->stop && rc == ETIMEDOUT && !p->hidden)
            draw(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void fo_progress_start(fo_progress *p, FILE *out, const char *what, const char *unit, size_t total)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->start_ms = fo_now_ms();
    p->on = out && isatty(fileno(out)) == 1 && total > 0;
    if (!p->on)
        return;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    /* The first update draws the line, with what is waited on. Without the ticker the line
     * still moves with each finished item. */
    p->ticking = pthread_create(&p->ticker, NULL, tick, p) == 0;
}

void fo_progress_update(fo_progress *p, size_t done, const char *waiting)
{
    if (!p->on)
        return;
    pthread_mutex_lock(&p->lock);
    p->done = done;
    snprintf(p->waiting, sizeof(p->waiting), "%s", waiting ? waiting : "");
    p->hidden = false;
    if (!p->drawn || done >= p->total || fo_now_ms() - p->drawn_ms >= REDRAW_MS)
        draw(p);
    pthread_mutex_unlock(&p->lock);
}

void fo_progress_hide(fo_progress *p)
{
    if (!p->on)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->drawn) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    p->drawn = false;
    p->hidden = true;
    pthread_mutex_unlock(&p->lock);
}

void fo_progress_end(fo_progress *p)
{
    if (!p->on)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->ticking)
        pthread_join(p->ticker, NULL);
    if (p->drawn) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    p->on = false;
}
