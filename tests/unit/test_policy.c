/* test_policy.c - maintenance windows (local time, days, past midnight)
 * and schedules. The install decisions are tested through the binary
 * (tests/integration/policy.sh). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "policy.h"

/* 2024-03-03 was a Sunday. Seconds of DAY (1 = Mon 2024-03-04 ... 7 = Sun
 * 2024-03-10) at HH:MM, UTC. */
static long long at(int day, int hh, int mm)
{
	const long long sun_2024_03_03 = 1709424000LL;
	return sun_2024_03_03 + (long long)day * 86400 + hh * 3600 + mm * 60;
}

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void test_window_any(void **state)
{
	(void)state;
	assert_true(policy_window_open(NULL, at(3, 12, 0)));
}

static void test_window_one_day(void **state)
{
	(void)state;
	const char *w = "Sun 02:00-04:00";
	assert_true(policy_window_open(w, at(7, 2, 0)));
	assert_true(policy_window_open(w, at(7, 3, 59)));
	assert_false(policy_window_open(w, at(7, 4, 0)));   /* the end is excluded */
	assert_false(policy_window_open(w, at(7, 1, 59)));
	assert_false(policy_window_open(w, at(6, 3, 0)));   /* Saturday */
	assert_true(policy_window_open("sun 02:00-04:00", at(0, 2, 30))); /* any case */
}

static void test_window_days(void **state)
{
	(void)state;
	assert_true(policy_window_open("daily 01:00-05:00", at(3, 1, 0)));
	assert_false(policy_window_open("daily 01:00-05:00", at(3, 5, 0)));
	const char *w = "Mon,Wed-Fri 10:00-11:00";
	assert_true(policy_window_open(w, at(1, 10, 30)));   /* Mon */
	assert_false(policy_window_open(w, at(2, 10, 30)));  /* Tue */
	assert_true(policy_window_open(w, at(3, 10, 30)));   /* Wed */
	assert_true(policy_window_open(w, at(5, 10, 30)));   /* Fri */
	assert_false(policy_window_open(w, at(6, 10, 30)));  /* Sat */
	/* a range across the week's end */
	assert_true(policy_window_open("Sat-Mon 10:00-11:00", at(7, 10, 0)));
	assert_false(policy_window_open("Sat-Mon 10:00-11:00", at(3, 10, 0)));
	assert_true(policy_window_open("Mon 00:00-24:00", at(1, 23, 59)));
}

static void test_window_past_midnight(void **state)
{
	(void)state;
	const char *w = "Fri 22:00-02:00";
	assert_true(policy_window_open(w, at(5, 22, 0)));    /* Fri evening */
	assert_true(policy_window_open(w, at(5, 23, 59)));
	assert_true(policy_window_open(w, at(6, 1, 59)));    /* Sat morning: Friday's window */
	assert_false(policy_window_open(w, at(6, 2, 0)));
	assert_false(policy_window_open(w, at(6, 22, 30)));  /* Sat evening */
	assert_false(policy_window_open(w, at(5, 1, 0)));    /* Fri morning: Thursday's */
}

static void test_window_local_time(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1); /* UTC+1 in March */
	tzset();
	bool berlin_known = policy_window_open("Sun 02:00-04:00", at(7, 1, 30));
	bool utc_open = policy_window_open("Sun 02:00-04:00", at(7, 3, 30));
	setup_utc(NULL);
	if (!berlin_known)
		skip(); /* no zone data here */
	assert_false(utc_open); /* 03:30 UTC is 04:30 in Berlin */
}

static void test_window_bad(void **state)
{
	(void)state;
	assert_false(policy_window_open("Sun", at(7, 2, 0)));
	assert_false(policy_window_open("Xyz 02:00-04:00", at(7, 2, 0)));
	assert_false(policy_window_open("Sun 2:00-4:00", at(7, 2, 0)));
}

static void test_due(void **state)
{
	(void)state;
	assert_false(policy_due(0, 0, 1000));                 /* no schedule */
	assert_true(policy_due(3600 * 1000LL, 0, 1000));      /* never done */
	assert_false(policy_due(3600 * 1000LL, 1000, 1000 + 3599));
	assert_true(policy_due(3600 * 1000LL, 1000, 1000 + 3600));
	assert_true(policy_due(1, 1000, 1001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_any),
		cmocka_unit_test(test_window_one_day),
		cmocka_unit_test(test_window_days),
		cmocka_unit_test(test_window_past_midnight),
		cmocka_unit_test(test_window_local_time),
		cmocka_unit_test(test_window_bad),
		cmocka_unit_test(test_due),
	};
	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
