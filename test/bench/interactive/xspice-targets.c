/*
 * The interactive bench's windows inside Xspice (there is no window manager there, so a window
 * goes exactly where it asks):
 *   xspice-targets square X Y SIZE RRGGBB RRGGBB   a square that swaps its two colours on every
 *                                                 button press (the click-to-pixel target)
 *   xspice-targets mover X Y W H RRGGBB RRGGBB FPS  a box of the second colour that moves across
 *                                                 a band of the first, one step per frame at FPS
 */
#define _GNU_SOURCE
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long colour(const char *hex) { return strtoul(hex, NULL, 16); }

int main(int argc, char **argv) {
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) { fprintf(stderr, "xspice-targets: cannot open the display\n"); return 1; }
    int square = argc == 7 && !strcmp(argv[1], "square");
    int mover = argc == 9 && !strcmp(argv[1], "mover");
    if (!square && !mover) { fprintf(stderr, "usage: xspice-targets square X Y SIZE A B | mover X Y W H BG BOX FPS\n"); return 2; }
    int x = atoi(argv[2]), y = atoi(argv[3]);
    int w = atoi(argv[4]), h = square ? w : atoi(argv[5]);
    unsigned long a = colour(argv[square ? 5 : 6]), b = colour(argv[square ? 6 : 7]);
    XSetWindowAttributes attrs = { .background_pixel = a, .override_redirect = True };
    Window win = XCreateWindow(dpy, DefaultRootWindow(dpy), x, y, w, h, 0, CopyFromParent, InputOutput, CopyFromParent, CWBackPixel | CWOverrideRedirect, &attrs);
    XStoreName(dpy, win, square ? "spicedesk-click-square" : "spicedesk-mover");
    XSelectInput(dpy, win, ButtonPressMask | ExposureMask);
    XMapWindow(dpy, win);
    XFlush(dpy);
    if (square) {
        int swapped = 0;
        for (;;) {
            XEvent e;
            XNextEvent(dpy, &e);
            if (e.type != ButtonPress) continue;
            swapped = !swapped;
            XSetWindowBackground(dpy, win, swapped ? b : a);
            XClearWindow(dpy, win);
            XFlush(dpy);
        }
    }
    GC gc = XCreateGC(dpy, win, 0, NULL);
    int fps = atoi(argv[8]);
    if (fps < 1 || fps > 240) { fprintf(stderr, "xspice-targets: FPS must be 1 to 240\n"); return 2; }
    int box = h - 20, step = 8, pos = 0, dir = 1;
    long frame_ns = 1000000000L / fps;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        while (XPending(dpy)) { XEvent e; XNextEvent(dpy, &e); }
        XSetForeground(dpy, gc, a);
        XFillRectangle(dpy, win, gc, pos, 10, box, box);
        pos += dir * step;
        if (pos < 0 || pos + box > w) { dir = -dir; pos += 2 * dir * step; }
        XSetForeground(dpy, gc, b);
        XFillRectangle(dpy, win, gc, pos, 10, box, box);
        XFlush(dpy);
        next.tv_nsec += frame_ns;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
}
