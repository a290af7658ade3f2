/*
 * x-probe: the interactive bench's eye and hand on an X screen (the Xvfb the clients draw into).
 * It reads commands on stdin, one per line, and answers each with one line on stdout. Times are
 * microseconds of CLOCK_MONOTONIC, the clock Node's process.hrtime reads, so the bench can put its
 * own events (a client started) on the same axis. Input goes in through XTEST, as xdotool sends it.
 *
 *   now                                      -> now T
 *   size                                     -> size W H
 *   find RRGGBB TOL                          -> found X Y W H COUNT   (bounding box of the colour)
 *   waitfind RRGGBB TOL MIN TIMEOUT_MS       -> waitfound T X Y W H COUNT | timeout T COUNT
 *   quiet X Y W H QUIET_MS TIMEOUT_MS        -> quiet T | timeout T
 *   focus X Y                                -> focus WINDOW      (pointer there, input focus to its top window)
 *   key KEYSYM HOLD_MS X Y W H TIMEOUT_MS    -> key T_PRESS T_CHANGE POLLS | timeout T_PRESS POLLS
 *                                              (released after HOLD_MS or at the change; 0: at once, a tap)
 *   click X Y RX RY RW RH TIMEOUT_MS         -> click T_PRESS T_CHANGE POLLS | timeout T_PRESS POLLS
 *   watch DURATION_MS X Y W H [X Y W H]...   -> watch T_START T_END POLLS CHANGES_1 [CHANGES_2]...
 *   dump PATH                                -> dumped PATH        (the whole screen as a PPM, for a failure's report)
 *
 * A rectangle is read with XShmGetImage (one copy, no encoding), a few hundred microseconds for a
 * small one; between polls the probe sleeps POLL_SLEEP_US so that it does not take a core from the
 * clients it measures. A malformed command is answered with "error ..." and the probe goes on.
 */
#define _GNU_SOURCE
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libXtst's entry points (its headers are in libxtst-dev, which a bench machine need not have). */
extern int XTestFakeKeyEvent(Display *, unsigned int, Bool, unsigned long);
extern int XTestFakeButtonEvent(Display *, unsigned int, Bool, unsigned long);
extern int XTestFakeMotionEvent(Display *, int, int, int, unsigned long);
extern Bool XTestQueryExtension(Display *, int *, int *, int *, int *);

#define POLL_SLEEP_US 200
#define MAX_RECTS 8

static Display *dpy;
static Window root;
static int screen_w, screen_h;

typedef struct { int x, y, w, h; } Rect;

typedef struct {
    XImage *image;
    XShmSegmentInfo shm;
    int w, h;
} Grab;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pause_us(long us) {
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

static void grab_free(Grab *g) {
    if (!g->image) return;
    XShmDetach(dpy, &g->shm);
    XDestroyImage(g->image);
    shmdt(g->shm.shmaddr);
    shmctl(g->shm.shmid, IPC_RMID, NULL);
    g->image = NULL;
}

static int grab_init(Grab *g, int w, int h) {
    if (g->image && g->w == w && g->h == h) return 0;
    grab_free(g);
    Visual *visual = DefaultVisual(dpy, DefaultScreen(dpy));
    int depth = DefaultDepth(dpy, DefaultScreen(dpy));
    g->image = XShmCreateImage(dpy, visual, depth, ZPixmap, NULL, &g->shm, w, h);
    if (!g->image) return -1;
    g->shm.shmid = shmget(IPC_PRIVATE, (size_t)g->image->bytes_per_line * h, IPC_CREAT | 0600);
    if (g->shm.shmid < 0) { XDestroyImage(g->image); g->image = NULL; return -1; }
    g->shm.shmaddr = g->image->data = shmat(g->shm.shmid, NULL, 0);
    g->shm.readOnly = False;
    XShmAttach(dpy, &g->shm);
    XSync(dpy, False);
    g->w = w;
    g->h = h;
    return 0;
}

/* Reads the rectangle of the root window into g (sized to it). */
static int grab(Grab *g, Rect r) {
    if (grab_init(g, r.w, r.h)) return -1;
    return XShmGetImage(dpy, root, g->image, r.x, r.y, AllPlanes) ? 0 : -1;
}

static size_t grab_bytes(const Grab *g) { return (size_t)g->image->bytes_per_line * g->h; }

static int rect_ok(Rect r) {
    return r.w > 0 && r.h > 0 && r.x >= 0 && r.y >= 0 && r.x + r.w <= screen_w && r.y + r.h <= screen_h;
}

static uint32_t pixel_at(const XImage *im, int x, int y) {
    return *(const uint32_t *)(im->data + (size_t)y * im->bytes_per_line + (size_t)x * 4);
}

static int close_to(uint32_t p, unsigned rgb, int tol) {
    int dr = (int)((p >> 16) & 255) - (int)((rgb >> 16) & 255);
    int dg = (int)((p >> 8) & 255) - (int)((rgb >> 8) & 255);
    int db = (int)(p & 255) - (int)(rgb & 255);
    return abs(dr) <= tol && abs(dg) <= tol && abs(db) <= tol;
}

/* Bounding box and count of the pixels within tol of rgb on the whole screen. */
static long find_colour(Grab *g, unsigned rgb, int tol, Rect *box) {
    Rect all = { 0, 0, screen_w, screen_h };
    if (grab(g, all)) return -1;
    int x0 = screen_w, y0 = screen_h, x1 = -1, y1 = -1;
    long count = 0;
    for (int y = 0; y < screen_h; y++) {
        for (int x = 0; x < screen_w; x++) {
            if (!close_to(pixel_at(g->image, x, y), rgb, tol)) continue;
            count++;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    }
    if (count == 0) { box->x = box->y = box->w = box->h = 0; return 0; }
    box->x = x0; box->y = y0; box->w = x1 - x0 + 1; box->h = y1 - y0 + 1;
    return count;
}

/* Polls r until it differs from what it shows now (the caller acts right after this returns). */
typedef struct { Grab before, current; Rect r; } ChangeWatch;

static int change_arm(ChangeWatch *c, Rect r) {
    c->r = r;
    if (grab(&c->before, r)) return -1;
    return grab_init(&c->current, r.w, r.h);
}

/* Returns the time of the first poll that saw a change, or -1 at the deadline. */
/* A key or button to let go of while waiting (the release is what some clients wait for). */
typedef struct { int key; unsigned code; int64_t at; int done; } Release;

static void release_now(Release *rel) {
    if (rel->done) return;
    if (rel->key) XTestFakeKeyEvent(dpy, rel->code, False, CurrentTime);
    else XTestFakeButtonEvent(dpy, rel->code, False, CurrentTime);
    XFlush(dpy);
    rel->done = 1;
}

static int64_t change_wait(ChangeWatch *c, int64_t deadline, long *polls, Release *rel) {
    *polls = 0;
    for (;;) {
        if (rel->at >= 0 && now_us() >= rel->at) release_now(rel);
        if (grab(&c->current, c->r)) return -1;
        int64_t t = now_us();
        (*polls)++;
        if (memcmp(c->before.image->data, c->current.image->data, grab_bytes(&c->before)) != 0) return t;
        if (t > deadline) return -1;
        pause_us(POLL_SLEEP_US);
    }
}

/* Waits until r has not changed for quiet_ms; the time it was reached, or -1 at the deadline. */
/* (Grabs are swapped by pointer: an XImage made by XShmCreateImage points at its Grab's segment info.) */
static int64_t wait_quiet(Grab *a, Grab *b, Rect r, int quiet_ms, int64_t deadline) {
    if (grab(a, r)) return -1;
    int64_t since = now_us();
    for (;;) {
        pause_us(2000);
        if (grab(b, r)) return -1;
        int64_t t = now_us();
        if (memcmp(a->image->data, b->image->data, grab_bytes(a)) != 0) {
            Grab *swap = a; a = b; b = swap;
            since = t;
        } else if (t - since >= (int64_t)quiet_ms * 1000) {
            return t;
        }
        if (t > deadline) return -1;
    }
}

/* An X error (a rectangle the server refuses) fails the command that caused it, not the probe. */
static char last_x_error[256];
static int on_x_error(Display *d, XErrorEvent *e) {
    char text[160];
    XGetErrorText(d, e->error_code, text, sizeof text);
    snprintf(last_x_error, sizeof last_x_error, "%s (request %d.%d)", text, e->request_code, e->minor_code);
    return 0;
}

static Grab scratch, scratch2;
static ChangeWatch change;

static void run_command(char *line) {
    char cmd[32] = "";
    int n = 0;
    if (sscanf(line, "%31s%n", cmd, &n) != 1) { printf("error empty command\n"); return; }
    char *args = line + n;
    last_x_error[0] = 0;
    if (!strcmp(cmd, "now")) {
        printf("now %lld\n", (long long)now_us());
    } else if (!strcmp(cmd, "size")) {
        printf("size %d %d\n", screen_w, screen_h);
    } else if (!strcmp(cmd, "find") || !strcmp(cmd, "waitfind")) {
        unsigned rgb; int tol; long min = 1; int timeout_ms = 0;
        int want = !strcmp(cmd, "find") ? 2 : 4;
        int got = want == 2 ? sscanf(args, "%x %d", &rgb, &tol) : sscanf(args, "%x %d %ld %d", &rgb, &tol, &min, &timeout_ms);
        if (got != want || tol < 0 || min < 1 || timeout_ms < 0) { printf("error %s takes %s\n", cmd, want == 2 ? "RRGGBB TOL" : "RRGGBB TOL MIN TIMEOUT_MS"); return; }
        Rect box;
        if (want == 2) {
            long count = find_colour(&scratch, rgb, tol, &box);
            if (count < 0) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
            printf("found %d %d %d %d %ld\n", box.x, box.y, box.w, box.h, count);
            return;
        }
        int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
        for (;;) {
            long count = find_colour(&scratch, rgb, tol, &box);
            int64_t t = now_us();
            if (count < 0) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
            if (count >= min) { printf("waitfound %lld %d %d %d %d %ld\n", (long long)t, box.x, box.y, box.w, box.h, count); return; }
            if (t > deadline) { printf("timeout %lld %ld\n", (long long)t, count); return; }
            pause_us(1000);
        }
    } else if (!strcmp(cmd, "quiet")) {
        Rect r; int quiet_ms, timeout_ms;
        if (sscanf(args, "%d %d %d %d %d %d", &r.x, &r.y, &r.w, &r.h, &quiet_ms, &timeout_ms) != 6 || !rect_ok(r)) { printf("error quiet takes X Y W H QUIET_MS TIMEOUT_MS inside the screen\n"); return; }
        int64_t t = wait_quiet(&scratch, &scratch2, r, quiet_ms, now_us() + (int64_t)timeout_ms * 1000);
        if (t < 0) printf("timeout %lld\n", (long long)now_us());
        else printf("quiet %lld\n", (long long)t);
    } else if (!strcmp(cmd, "focus")) {
        int x, y;
        if (sscanf(args, "%d %d", &x, &y) != 2 || x < 0 || y < 0 || x >= screen_w || y >= screen_h) { printf("error focus takes X Y on the screen\n"); return; }
        XTestFakeMotionEvent(dpy, -1, x, y, CurrentTime);
        XSync(dpy, False);
        Window r, child = None; int rx, ry, wx, wy; unsigned mask;
        XQueryPointer(dpy, root, &r, &child, &rx, &ry, &wx, &wy, &mask);
        if (child != None) XSetInputFocus(dpy, child, RevertToPointerRoot, CurrentTime);
        XSync(dpy, False);
        printf("focus %lu\n", (unsigned long)child);
    } else if (!strcmp(cmd, "key")) {
        char name[64]; Rect r; int hold_ms, timeout_ms;
        if (sscanf(args, "%63s %d %d %d %d %d %d", name, &hold_ms, &r.x, &r.y, &r.w, &r.h, &timeout_ms) != 7 || !rect_ok(r) || hold_ms < 0) { printf("error key takes KEYSYM HOLD_MS X Y W H TIMEOUT_MS inside the screen\n"); return; }
        KeySym sym = XStringToKeysym(name);
        KeyCode code = sym == NoSymbol ? 0 : XKeysymToKeycode(dpy, sym);
        if (!code) { printf("error no key for keysym %s\n", name); return; }
        if (change_arm(&change, r)) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
        int64_t pressed = now_us();
        XTestFakeKeyEvent(dpy, code, True, CurrentTime);
        XFlush(dpy);
        /* Held for hold_ms, or until the glyph shows if that comes first (0: a tap, as xdotool key sends it). */
        Release rel = { 1, code, pressed + (int64_t)hold_ms * 1000, 0 };
        if (hold_ms == 0) release_now(&rel);
        long polls;
        int64_t changed = change_wait(&change, pressed + (int64_t)timeout_ms * 1000, &polls, &rel);
        release_now(&rel);
        XSync(dpy, False);
        if (changed < 0) printf("timeout %lld %ld\n", (long long)pressed, polls);
        else printf("key %lld %lld %ld\n", (long long)pressed, (long long)changed, polls);
    } else if (!strcmp(cmd, "click")) {
        int x, y, timeout_ms; Rect r;
        if (sscanf(args, "%d %d %d %d %d %d %d", &x, &y, &r.x, &r.y, &r.w, &r.h, &timeout_ms) != 7 || !rect_ok(r) || x < 0 || y < 0 || x >= screen_w || y >= screen_h) {
            printf("error click takes X Y RX RY RW RH TIMEOUT_MS inside the screen\n");
            return;
        }
        Window rw, cw; int px, py, wx, wy; unsigned mask;
        XQueryPointer(dpy, root, &rw, &cw, &px, &py, &wx, &wy, &mask);
        if (px != x || py != y) {
            XTestFakeMotionEvent(dpy, -1, x, y, CurrentTime);
            XSync(dpy, False);
            /* The pointer's own drawing (a client that paints the cursor) must not count as the click's. */
            if (wait_quiet(&scratch, &scratch2, r, 100, now_us() + 3000000) < 0) { printf("error the rectangle did not settle after the pointer moved\n"); return; }
        }
        if (change_arm(&change, r)) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
        int64_t pressed = now_us();
        XTestFakeButtonEvent(dpy, 1, True, CurrentTime);
        XFlush(dpy);
        long polls;
        Release rel = { 0, 1, -1, 0 };
        int64_t changed = change_wait(&change, pressed + (int64_t)timeout_ms * 1000, &polls, &rel);
        release_now(&rel);
        XSync(dpy, False);
        if (changed < 0) printf("timeout %lld %ld\n", (long long)pressed, polls);
        else printf("click %lld %lld %ld\n", (long long)pressed, (long long)changed, polls);
    } else if (!strcmp(cmd, "watch")) {
        int duration_ms, used = 0, count = 0;
        Rect rects[MAX_RECTS];
        if (sscanf(args, "%d%n", &duration_ms, &used) != 1 || duration_ms <= 0) { printf("error watch takes DURATION_MS X Y W H...\n"); return; }
        args += used;
        while (count < MAX_RECTS) {
            Rect r;
            if (sscanf(args, "%d %d %d %d%n", &r.x, &r.y, &r.w, &r.h, &used) != 4) break;
            if (!rect_ok(r)) { printf("error watch: rectangle %d %d %d %d is not inside the screen\n", r.x, r.y, r.w, r.h); return; }
            rects[count++] = r;
            args += used;
        }
        if (count == 0) { printf("error watch takes at least one rectangle\n"); return; }
        static Grab grabs[2 * MAX_RECTS];
        Grab *last[MAX_RECTS], *current[MAX_RECTS];
        long changes[MAX_RECTS] = { 0 };
        for (int i = 0; i < count; i++) {
            last[i] = &grabs[2 * i];
            current[i] = &grabs[2 * i + 1];
            if (grab(last[i], rects[i]) || grab_init(current[i], rects[i].w, rects[i].h)) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
        }
        int64_t start = now_us(), end = start + (int64_t)duration_ms * 1000, t = start;
        long polls = 0;
        while (t < end) {
            pause_us(POLL_SLEEP_US);
            for (int i = 0; i < count; i++) {
                if (grab(current[i], rects[i])) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
                if (memcmp(last[i]->image->data, current[i]->image->data, grab_bytes(last[i])) != 0) {
                    changes[i]++;
                    Grab *swap = last[i]; last[i] = current[i]; current[i] = swap;
                }
            }
            polls++;
            t = now_us();
        }
        printf("watch %lld %lld %ld", (long long)start, (long long)t, polls);
        for (int i = 0; i < count; i++) printf(" %ld", changes[i]);
        printf("\n");
    } else if (!strcmp(cmd, "dump")) {
        char path[512];
        Rect all = { 0, 0, screen_w, screen_h };
        if (sscanf(args, "%511s", path) != 1) { printf("error dump takes PATH\n"); return; }
        if (grab(&scratch, all)) { printf("error cannot read the screen: %s in: %s", last_x_error[0] ? last_x_error : "no image", line); return; }
        FILE *f = fopen(path, "wb");
        if (!f) { printf("error cannot write %s\n", path); return; }
        fprintf(f, "P6\n%d %d\n255\n", screen_w, screen_h);
        for (int y = 0; y < screen_h; y++) {
            for (int x = 0; x < screen_w; x++) {
                uint32_t p = pixel_at(scratch.image, x, y);
                unsigned char rgb[3] = { (unsigned char)(p >> 16), (unsigned char)(p >> 8), (unsigned char)p };
                fwrite(rgb, 1, 3, f);
            }
        }
        fclose(f);
        printf("dumped %s\n", path);
    } else {
        printf("error unknown command %s\n", cmd);
    }
}

int main(void) {
    dpy = XOpenDisplay(NULL);
    if (!dpy) { fprintf(stderr, "x-probe: cannot open display %s\n", getenv("DISPLAY") ? getenv("DISPLAY") : "(DISPLAY unset)"); return 1; }
    int a, b, c, d;
    if (!XTestQueryExtension(dpy, &a, &b, &c, &d)) { fprintf(stderr, "x-probe: the X server has no XTEST\n"); return 1; }
    if (!XShmQueryExtension(dpy)) { fprintf(stderr, "x-probe: the X server has no MIT-SHM\n"); return 1; }
    XSetErrorHandler(on_x_error);
    root = DefaultRootWindow(dpy);
    screen_w = DisplayWidth(dpy, DefaultScreen(dpy));
    screen_h = DisplayHeight(dpy, DefaultScreen(dpy));
    Visual *v = DefaultVisual(dpy, DefaultScreen(dpy));
    if (v->red_mask != 0xff0000 || v->green_mask != 0xff00 || v->blue_mask != 0xff || DefaultDepth(dpy, DefaultScreen(dpy)) < 24) {
        fprintf(stderr, "x-probe: needs a 24-bit TrueColor screen (xRGB)\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready %d %d\n", screen_w, screen_h);
    char line[1024];
    while (fgets(line, sizeof line, stdin)) run_command(line);
    grab_free(&scratch);
    grab_free(&scratch2);
    XCloseDisplay(dpy);
    return 0;
}
