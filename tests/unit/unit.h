/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * unit.h — a header-only TAP (version 13) harness for the unit tests. Each tests/unit/test_*.c
 * is one program:
 *
 *	UNIT_TEST(parses_one) { int pid; CHECK_EQ_INT(kk_parse_pid("1", &pid), 0); }
 *	int main(void) { UNIT_RUN(parses_one); return unit_done(); }
 *
 * A failed check prints a "# file:line: ..." diagnostic and ends the current test (it returns
 * from the test function), which is then reported "not ok". unit_done() prints the plan last,
 * as TAP allows, and returns the exit status: 0 iff no test failed. There is deliberately no
 * TODO/skip form: a failing test fails the run.
 */
#ifndef KK_UNIT_H
#define KK_UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int unit_count, unit_failed;
static bool unit_cur_failed;

#define UNIT_TEST(name) static void name(void)
#define UNIT_RUN(name)	unit_run(#name, name)

static inline void unit_run(const char *name, void (*fn)(void))
{
	if (!unit_count)
		printf("TAP version 13\n");
	unit_cur_failed = false;
	fn();
	unit_count++;
	printf("%s %d - %s\n", unit_cur_failed ? "not ok" : "ok", unit_count, name);
	fflush(stdout);
	if (unit_cur_failed)
		unit_failed++;
}

static inline int unit_done(void)
{
	if (!unit_count)
		printf("TAP version 13\n");
	printf("1..%d\n", unit_count);
	return unit_failed ? 1 : 0;
}

/* Print s quoted on the diagnostic line, bytes outside printable ASCII as \xNN. */
static inline void unit_put_str(const char *s)
{
	if (!s) {
		printf("NULL");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static inline void unit_fail_begin(const char *file, int line)
{
	unit_cur_failed = true;
	printf("# %s:%d: ", file, line);
}

#define CHECK(cond)                                                \
	do {                                                       \
		if (!(cond)) {                                     \
			unit_fail_begin(__FILE__, __LINE__);       \
			printf("expected %s, got false\n", #cond); \
			return;                                    \
		}                                                  \
	} while (0)

/* CHECK_EQ_INT(actual, expected): both compared as long long. */
#define CHECK_EQ_INT(a, b)                                                               \
	do {                                                                             \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);            \
		if (unit_a_ != unit_b_) {                                                \
			unit_fail_begin(__FILE__, __LINE__);                             \
			printf("expected %s == %lld, got %lld\n", #a, unit_b_, unit_a_); \
			return;                                                          \
		}                                                                        \
	} while (0)

/* CHECK_EQ_STR(actual, expected): equal strings, or both NULL. */
#define CHECK_EQ_STR(a, b)                                                                      \
	do {                                                                                    \
		const char *unit_a_ = (a), *unit_b_ = (b);                                      \
		if (unit_a_ != unit_b_ && (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_))) { \
			unit_fail_begin(__FILE__, __LINE__);                                    \
			printf("expected %s == ", #a);                                          \
			unit_put_str(unit_b_);                                                  \
			printf(", got ");                                                       \
			unit_put_str(unit_a_);                                                  \
			printf("\n");                                                           \
			return;                                                                 \
		}                                                                               \
	} while (0)

#endif /* KK_UNIT_H */
