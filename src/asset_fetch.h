/* asset_fetch.h - downloading one release asset with libcurl (GnuTLS).
 *
 * The body goes to a partial file, which is resumed (HTTP Range) when it
 * exists, and hashed (SHA-256) as a whole: the bytes already there are
 * read again, never trusted. A server that answers the resumption with 416
 * ("the file is complete") or 200-without-a-body gets the same treatment:
 * the result's hash is that of the whole file, and the caller compares it.
 *
 * TLS verification is always on. With ca_file, only its certificates are
 * trusted (CURLOPT_CAINFO, and CURLOPT_CAPATH set to NULL, which libcurl
 * would otherwise add); without it, SSL_CERT_FILE / SSL_CERT_DIR replace
 * the system's CA store when set, as for git sources. With a pin
 * ("sha256//BASE64", ';'-separated alternatives) the server's public key
 * must match it and the certificate must name the host; its chain is not
 * checked against CAs then: the pin is the trust anchor, so a self-signed
 * certificate can be pinned.
 *
 * Redirects are followed here, not by libcurl, at most max_redirects:
 * https may only lead to https; a URL with credentials (user:password@)
 * may only lead to the same scheme, host and port (the credentials are
 * never sent elsewhere); file:// never redirects.
 *
 * Limits: the body may not exceed max_bytes (CURLOPT_MAXFILESIZE_LARGE
 * for a declared length, and counted as it arrives: the transfer stops
 * with nothing written past max_bytes); the whole download ends after
 * total_ms; a connection that takes longer than stall_ms, or a transfer
 * slower than 1 KiB/s for stall_ms, is a stall.
 */
#ifndef UPKEEP_ASSET_FETCH_H
#define UPKEEP_ASSET_FETCH_H

#include <stdbool.h>

#include "error.h"

struct asset_fetch_opts {
	const char *url;          /* http://, https:// or file:// */
	const char *part;         /* the partial file: created, or resumed */
	const char *ca_file;      /* or NULL */
	const char *pin;          /* or NULL */
	long long max_bytes;
	long long total_ms;
	long long stall_ms;
	int max_redirects;
	/* Called at most once a second and once at the end: bytes in the
	 * file, total when known (else -1), bytes per second of this run. */
	void (*progress)(void *ctx, long long bytes, long long total, long long rate);
	void *progress_ctx;
	/* Once set (cancel.h), the transfer stops with UP_ERR_CANCELLED; the
	 * partial file stays for a later resume. NULL: never. */
	const volatile int *cancel;
};

struct asset_fetch_result {
	long long bytes;          /* size of the file */
	long long resumed_from;   /* bytes that were there before, 0 = from scratch */
	long http_status;         /* of the last response (0 for file://) */
	bool was_complete;        /* resuming: the server said there was nothing more */
	char sha256[65];          /* of the whole file, lowercase hex */
};

/* Downloads o->url into o->part. Errors name the URL (without its
 * credentials) and say what failed: UP_ERR_TIMEOUT for the time limits,
 * UP_ERR_MISMATCH for a body over the size limit (the partial file is
 * then removed), UP_ERR_SOURCE for TLS, HTTP and network errors. */
int asset_fetch(const struct asset_fetch_opts *o, struct asset_fetch_result *r,
		struct up_error *err);

/* SHA-256 (hex) and size of a whole file. */
int asset_hash_file(const char *path, char hex[65], long long *size, struct up_error *err);

/* The URL with any user:password@ removed, escaped for messages. */
char *asset_url_for_display(const char *url);

#endif
