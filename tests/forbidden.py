#!/usr/bin/env python3
# forbidden.py MODE FILE... - prints what in each FILE a terminal would
# interpret, one "FILE: WHAT" line per file that has any; nothing when clean.
# MODE text (batch output, JSON, logs): any C0 control but \n and \t, ESC
# included, DEL, C1 controls (raw bytes or U+0080-009F), the bidi controls
# U+202A-202E and U+2066-2069, invalid UTF-8.
# MODE pty (a console's byte stream, where curses writes its own ESC
# sequences): OSC, DCS, CSI 6n, BEL, C1 controls, bidi controls, invalid
# UTF-8.
import re, sys

mode, files = sys.argv[1], sys.argv[2:]
C1 = re.compile('[\u0080-\u009f]')
BIDI = re.compile('[\u202a-\u202e\u2066-\u2069]')
C0 = re.compile('[\x00-\x08\x0b-\x1f\x7f]')
for f in files:
    data = open(f, 'rb').read()
    bad = []
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        bad.append('invalid UTF-8 at byte %d' % e.start)
        text = data.decode('utf-8', 'replace')
    if mode == 'text':
        m = C0.search(text)
        if m:
            bad.append('control 0x%02x at %d' % (ord(m.group()), m.start()))
    else:
        for name, seq in (('OSC', '\x1b]'), ('DCS', '\x1bP'), ('CSI 6n', '\x1b[6n'), ('BEL', '\x07')):
            if seq in text:
                bad.append(name)
    for name, rx in (('C1', C1), ('bidi', BIDI)):
        m = rx.search(text)
        if m:
            bad.append('%s U+%04X at %d' % (name, ord(m.group()), m.start()))
    if bad:
        print('%s: %s' % (f, ', '.join(bad)))
