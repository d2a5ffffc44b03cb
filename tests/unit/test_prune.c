/* test_prune.c - retention rules on a fixed clock (UTC): each keep_* rule
 * keeps exactly the newest snapshot of each of its last N buckets; pinned,
 * newest and rollback snapshots survive; the rollback snapshot's choice. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive_prune.h"
#include "archive_snap.h"
#include "conf.h"
#include "util.h"

#define UNSET { -1, -1, -1, -1, -1, -1 }

/* "YYYY-MM-DD HH:MM" in UTC to unix seconds. */
static long long at(const char *s)
{
	struct tm tm = { 0 };
	assert_non_null(strptime(s, "%Y-%m-%d %H:%M", &tm));
	return (long long)timegm(&tm);
}

struct fixture {
	struct snapshot_info v[16];
	unsigned keep[16];
	size_t n;
};

/* Snapshots with ids 1.. in the order given (not necessarily by time). */
static void make(struct fixture *f, const char *const *times, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		f->v[i].id = (int64_t)i + 1;
		f->v[i].time = at(times[i]);
		f->v[i].reason = (char *)"manual";
	}
}

/* Which snapshots (bit i-1 for id i) carry `flag`; with flag 0: kept at all. */
static unsigned with(const struct fixture *f, unsigned flag)
{
	unsigned m = 0;
	for (size_t i = 0; i < f->n; i++)
		if (flag ? (f->keep[i] & flag) != 0 : f->keep[i] != 0)
			m |= 1u << i;
	return m;
}

static int utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void test_keep_last(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 10:10",
					 "2024-01-01 10:15", "2024-01-01 10:20" };
	struct fixture f;
	make(&f, t, 5);
	struct retention_cfg r = UNSET;
	r.keep_last = 2;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, KEEP_LAST), 0x18);   /* ids 4, 5 */
	assert_int_equal(with(&f, 0), 0x18);
	assert_int_equal(with(&f, KEEP_NEWEST), 0x10);
}

static void test_keep_hourly(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-01-01 10:05", "2024-01-01 10:40", "2024-01-01 11:10",
					 "2024-01-01 11:50", "2024-01-01 12:30", "2024-01-01 09:59" };
	struct fixture f;
	make(&f, t, 6);
	struct retention_cfg r = UNSET;
	r.keep_hourly = 3;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	/* newest of hours 12, 11, 10: ids 5, 4, 2; hour 9 is the fourth bucket */
	assert_int_equal(with(&f, KEEP_HOURLY), 0x1a);
	assert_int_equal(with(&f, 0), 0x1a);
}

static void test_keep_daily(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-03-01 10:00", "2024-03-01 12:00", "2024-03-02 09:00",
					 "2024-03-03 08:00", "2024-03-03 20:00", "2024-03-04 07:00" };
	struct fixture f;
	make(&f, t, 6);
	struct retention_cfg r = UNSET;
	r.keep_daily = 3;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, KEEP_DAILY), 0x34); /* ids 6, 5, 3 */
	assert_int_equal(with(&f, 0), 0x34);
}

static void test_keep_weekly_iso(void **state)
{
	(void)state;
	/* 2024-12-28 is in 2024-W52; 2024-12-30 and 2025-01-02 in 2025-W01;
	 * 2025-01-06 in 2025-W02. */
	static const char *const t[] = { "2024-12-21 10:00", "2024-12-28 10:00", "2024-12-30 10:00",
					 "2025-01-02 10:00", "2025-01-06 10:00" };
	struct fixture f;
	make(&f, t, 5);
	struct retention_cfg r = UNSET;
	r.keep_weekly = 3;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, KEEP_WEEKLY), 0x1a); /* ids 5, 4, 2 */
	assert_int_equal(with(&f, 0), 0x1a);
}

static void test_keep_monthly_yearly(void **state)
{
	(void)state;
	static const char *const t[] = { "2022-06-01 10:00", "2023-01-15 10:00", "2023-11-30 10:00",
					 "2023-12-01 10:00", "2023-12-31 23:00", "2024-01-01 00:30" };
	struct fixture f;
	make(&f, t, 6);
	struct retention_cfg r = UNSET;
	r.keep_monthly = 2;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, KEEP_MONTHLY), 0x30); /* 2024-01: id 6, 2023-12: id 5 */
	assert_int_equal(with(&f, 0), 0x30);
	r.keep_monthly = -1;
	r.keep_yearly = 3;
	memset(f.keep, 0, sizeof(f.keep));
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, KEEP_YEARLY), 0x31); /* 2024: 6, 2023: 5, 2022: 1 */
}

static void test_rules_combine(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-03-01 10:00", "2024-03-01 12:00", "2024-03-02 09:00",
					 "2024-03-03 08:00", "2024-03-03 20:00", "2024-03-04 07:00" };
	struct fixture f;
	make(&f, t, 6);
	struct retention_cfg r = UNSET;
	r.keep_last = 1;
	r.keep_daily = 2;
	r.keep_monthly = 1;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, 0), 0x30); /* each rule counts its own buckets */
	assert_int_equal(f.keep[5], KEEP_LAST | KEEP_DAILY | KEEP_MONTHLY | KEEP_NEWEST);
}

static void test_pinned_newest_rollback_survive(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-03-01 10:00", "2024-03-02 10:00", "2024-03-03 10:00",
					 "2024-03-04 10:00" };
	struct fixture f;
	make(&f, t, 4);
	/* given out of time order: the newest is found by time, not position */
	f.v[0].time = at("2024-03-05 10:00");
	f.v[1].pinned = true;
	struct retention_cfg r = { 0, 0, 0, 0, 0, 0 };
	archive_retention_apply(f.v, f.n, &r, 3, f.keep);
	assert_int_equal(f.keep[0], KEEP_NEWEST);
	assert_int_equal(f.keep[1], KEEP_PINNED);
	assert_int_equal(f.keep[2], KEEP_ROLLBACK);
	assert_int_equal(f.keep[3], 0);
}

static void test_no_policy_keeps_all(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-03-01 10:00", "2024-03-02 10:00" };
	struct fixture f;
	make(&f, t, 2);
	struct retention_cfg r = UNSET;
	archive_retention_apply(f.v, f.n, &r, 0, f.keep);
	assert_int_equal(with(&f, KEEP_NO_POLICY), 0x3);
	archive_retention_apply(f.v, 0, &r, 0, f.keep); /* no snapshots: nothing to do */
}

static void test_reasons_text(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	archive_keep_reasons(KEEP_DAILY | KEEP_NEWEST, &sb);
	assert_string_equal(sb.buf, "daily, newest");
	strbuf_release(&sb);
	archive_keep_reasons(0, &sb);
	assert_true(sb.buf == NULL || sb.buf[0] == '\0');
	strbuf_release(&sb);
}

static void test_rollback_choice(void **state)
{
	(void)state;
	static const char *const t[] = { "2024-03-01 10:00", "2024-03-02 10:00", "2024-03-03 10:00",
					 "2024-03-04 10:00" };
	struct fixture f;
	make(&f, t, 4);
	f.v[0].reason = (char *)"pre-update";
	f.v[1].reason = (char *)"pre-update";
	f.v[3].reason = (char *)"pre-update";
	/* installed on the 3rd: the pre-update snapshot of the 2nd is the one */
	assert_int_equal(archive_rollback_snapshot(f.v, f.n, at("2024-03-03 09:00")), 2);
	assert_int_equal(archive_rollback_snapshot(f.v, f.n, 0), 4);
	assert_int_equal(archive_rollback_snapshot(f.v, f.n, at("2024-02-01 00:00")), 0);
	f.v[0].reason = f.v[1].reason = f.v[3].reason = (char *)"manual";
	assert_int_equal(archive_rollback_snapshot(f.v, f.n, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_last),
		cmocka_unit_test(test_keep_hourly),
		cmocka_unit_test(test_keep_daily),
		cmocka_unit_test(test_keep_weekly_iso),
		cmocka_unit_test(test_keep_monthly_yearly),
		cmocka_unit_test(test_rules_combine),
		cmocka_unit_test(test_pinned_newest_rollback_survive),
		cmocka_unit_test(test_no_policy_keeps_all),
		cmocka_unit_test(test_reasons_text),
		cmocka_unit_test(test_rollback_choice),
	};
	return cmocka_run_group_tests(tests, utc, NULL);
}
