/* util.h - checked allocation, growable strings and string lists. */
#ifndef UPKEEP_UTIL_H
#define UPKEEP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Allocation that never returns NULL: on exhaustion upkeep aborts with a
 * message, because no caller could recover meaningfully. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Frees *p and sets it to NULL. */
#define FREE(p) do { free(p); (p) = NULL; } while (0)

/* A growable NUL-terminated byte string. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};
#define STRBUF_INIT { NULL, 0, 0 }
void strbuf_add(struct strbuf *sb, const char *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (never NULL) and leaves sb empty; the caller frees it. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

/* A list of owned strings. */
struct strvec {
	char **items;
	size_t n;
	size_t cap;
};
#define STRVEC_INIT { NULL, 0, 0 }
void strvec_push(struct strvec *v, const char *s);
void strvec_push_owned(struct strvec *v, char *s);
void strvec_clear(struct strvec *v);

/* Wall-clock seconds and a monotonic clock in milliseconds. */
long long util_now(void);
long long util_monotonic_ms(void);

/* Parses "30s", "5m", "2h", "1d", "1500ms" or a bare number of seconds.
 * Returns false on garbage. */
bool util_parse_duration_ms(const char *s, long long *ms);
/* Parses "10M", "2G", "512k" or bytes. */
bool util_parse_size(const char *s, long long *bytes);

/* Reads the whole file at path into sb (appended). Returns 0, or -1 with
 * errno set (EFBIG when it holds more than max bytes). */
int util_read_capped(const char *path, size_t max, struct strbuf *sb);

/* mkdir -p with the given mode; returns 0 or -1 with errno set. */
int util_mkdir_p(const char *path, unsigned mode);

#endif
