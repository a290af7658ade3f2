/*
 * Runs in the bench's xterm inside Xspice: the terminal in raw mode, and every byte typed is
 * written back at the top-left cell, so each key press changes one glyph at a place that does not
 * move (a shell's echo would wander along the line and wrap).
 */
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    struct termios t;
    if (tcgetattr(0, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(0, TCSANOW, &t);
    }
    write(1, "\033[?25l\033[2J", 10); /* no cursor: only the glyph changes */
    unsigned char c;
    while (read(0, &c, 1) == 1) {
        char out[4] = { '\033', '[', 'H', (char)c };
        if (write(1, out, 4) != 4) return 1;
    }
    return 0;
}
