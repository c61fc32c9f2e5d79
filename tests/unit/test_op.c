// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of what the operations layer decides without a kernel: the error record and its
 * two printed forms (user/error.c), the requests unbind and rotate build from their options,
 * and the identity states bind and rotate refuse (user/op*.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kakunin.h"
#include "op.h"
#include "unit.h"

static struct kk_error e;

UNIT_TEST(error_set_returns_code)
{
	CHECK_EQ_INT(kk_error_set(&e, -ENOENT, "PID 7", "no such %s", "process"), -ENOENT);
	CHECK_EQ_INT(e.code, -ENOENT);
	CHECK_EQ_STR(e.what, "PID 7");
	CHECK_EQ_STR(e.why, "no such process");
	kk_error_set(&e, -EINVAL, NULL, "x");
	CHECK_EQ_STR(e.what, "");
}

UNIT_TEST(error_split_at_first_separator)
{
	kk_error_split(&e, -EACCES, "certificate a.pem: cannot open: No such file or directory");
	CHECK_EQ_STR(e.what, "certificate a.pem");
	CHECK_EQ_STR(e.why, "cannot open: No such file or directory");
	kk_error_split(&e, -EACCES, "no separator here");
	CHECK_EQ_STR(e.what, "");
	CHECK_EQ_STR(e.why, "no separator here");
}

UNIT_TEST(error_split_keeps_long_what_whole)
{
	char msg[300];

	memset(msg, 'a', 200);
	strcpy(msg + 200, ": why");
	kk_error_split(&e, -EINVAL, msg);
	CHECK_EQ_STR(e.what, "");
	CHECK(strlen(e.why) == 205);
}

UNIT_TEST(errno_names)
{
	CHECK_EQ_STR(kk_errno_name(-EPERM), "EPERM");
	CHECK_EQ_STR(kk_errno_name(ENOENT), "ENOENT");
	CHECK_EQ_STR(kk_errno_name(-EACCES), "EACCES");
	CHECK_EQ_STR(kk_errno_name(-EKEYREJECTED), "EKEYREJECTED");
	CHECK(kk_errno_name(0) == NULL);
	CHECK(kk_errno_name(-4095) == NULL);
}

UNIT_TEST(error_text_one_line)
{
	char *s;

	kk_error_set(&e, -ENOENT, "PID 7", "no such process");
	s = kk_error_text("unbind", &e);
	CHECK_EQ_STR(s, "kakunin-bpf: unbind: PID 7: no such process");
	free(s);
	kk_error_set(&e, -ENOENT, NULL, "cgroup /x is not bound");
	s = kk_error_text("unbind", &e);
	CHECK_EQ_STR(s, "kakunin-bpf: unbind: cgroup /x is not bound");
	free(s);
}

UNIT_TEST(error_json_object)
{
	char *s;

	kk_error_set(&e, -EPERM, "", "must run as \"root\"");
	s = kk_error_json(&e);
	CHECK_EQ_STR(s, "{\"error\":{\"code\":-1,\"errno\":\"EPERM\",\"what\":\"\","
			"\"why\":\"must run as \\\"root\\\"\"}}");
	free(s);
	kk_error_set(&e, -4000, "x", "y");
	s = kk_error_json(&e);
	CHECK_EQ_STR(s, "{\"error\":{\"code\":-4000,\"errno\":null,\"what\":\"x\",\"why\":\"y\"}}");
	free(s);
}

UNIT_TEST(unbind_request_exactly_one)
{
	struct kk_unbind_req r;

	CHECK_EQ_INT(kk_unbind_req_init(&r, NULL, NULL, NULL, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "give exactly one of --pid, --cgroup and --serial");
	CHECK_EQ_INT(kk_unbind_req_init(&r, "1", "/sys/fs/cgroup/x", NULL, &e), -EINVAL);
	CHECK_EQ_INT(kk_unbind_req_init(&r, "1", NULL, "0a", &e), -EINVAL);
}

UNIT_TEST(unbind_request_values)
{
	struct kk_unbind_req r;

	CHECK_EQ_INT(kk_unbind_req_init(&r, "42", NULL, NULL, &e), 0);
	CHECK_EQ_INT(r.by, KK_UNBIND_PID);
	CHECK_EQ_INT(r.pid, 42);
	CHECK_EQ_INT(kk_unbind_req_init(&r, "0", NULL, NULL, &e), -EINVAL);
	CHECK_EQ_STR(e.what, "--pid '0'");
	CHECK_EQ_STR(e.why, "not a process id");
	CHECK_EQ_INT(kk_unbind_req_init(&r, NULL, "/sys/fs/cgroup/a", NULL, &e), 0);
	CHECK_EQ_INT(r.by, KK_UNBIND_CGROUP);
	CHECK_EQ_STR(r.cgroup, "/sys/fs/cgroup/a");
	CHECK_EQ_INT(kk_unbind_req_init(&r, NULL, NULL, "0x0A:Bc", &e), 0);
	CHECK_EQ_INT(r.by, KK_UNBIND_SERIAL);
	CHECK_EQ_STR(r.serial_hex, "0abc");
	CHECK_EQ_INT((int)r.serial_len, 2);
	CHECK_EQ_INT(kk_unbind_req_init(&r, NULL, NULL, "zz", &e), -EINVAL);
	CHECK_EQ_STR(e.what, "--serial 'zz'");
	CHECK_EQ_STR(e.why, "not a hex serial number (up to 20 bytes)");
}

UNIT_TEST(rotate_request_required)
{
	struct kk_rotate_req r;

	CHECK_EQ_INT(kk_rotate_req_init(&r, NULL, "n.pem", NULL, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--serial and --cert (or --watch) are required");
	CHECK_EQ_INT(kk_rotate_req_init(&r, "0a", NULL, NULL, &e), -EINVAL);
	CHECK_EQ_INT(kk_rotate_req_init(&r, "xyz", "n.pem", NULL, &e), -EINVAL);
	CHECK_EQ_STR(e.what, "--serial 'xyz'");
}

UNIT_TEST(rotate_request_grace)
{
	static const char *const bad[] = { "", "-1", "1x", "31536001", "99999999999999999999" };
	struct kk_rotate_req r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(kk_rotate_req_init(&r, "0a", "n.pem", bad[i], &e), -EINVAL);
		CHECK_EQ_STR(e.why, "seconds, 0 to 31536000");
	}
	CHECK_EQ_INT(kk_rotate_req_init(&r, "0a", "n.pem", "31536000", &e), 0);
	CHECK_EQ_INT((int)r.grace, 31536000);
	CHECK_EQ_INT(kk_rotate_req_init(&r, "01:02", "n.pem", NULL, &e), 0);
	CHECK_EQ_INT((int)r.grace, 0);
	CHECK_EQ_STR(r.old_serial, "0102");
	CHECK_EQ_INT(r.old.serial_len, 2);
	CHECK(r.old.serial[0] == 1 && r.old.serial[1] == 2);
	CHECK_EQ_STR(r.cert, "n.pem");
}

/* rotate refuses what bind refuses, in bind's words. */
UNIT_TEST(identity_states_refused)
{
	CHECK_EQ_INT(kk_ident_state_check(KK_STATE_ACTIVE, "0a", NULL, &e), 0);
	CHECK_EQ_INT(kk_ident_state_check(KK_STATE_REVOKED, "0a", NULL, &e), -EACCES);
	CHECK_EQ_STR(e.why, "certificate serial 0a is revoked");
	CHECK_EQ_STR(e.what, "");
	CHECK_EQ_INT(kk_ident_state_check(KK_STATE_BLOCKED, "0a", "binding 3 (agent a)", &e),
		     -EACCES);
	CHECK_EQ_STR(e.why, "certificate serial 0a is blocked (revocation status unknown)");
	CHECK_EQ_STR(e.what, "binding 3 (agent a)");
	/* A state this build does not know is not active: refused, as blocked. */
	CHECK_EQ_INT(kk_ident_state_check(77, "0a", NULL, &e), -EACCES);
}

int main(void)
{
	UNIT_RUN(error_set_returns_code);
	UNIT_RUN(error_split_at_first_separator);
	UNIT_RUN(error_split_keeps_long_what_whole);
	UNIT_RUN(errno_names);
	UNIT_RUN(error_text_one_line);
	UNIT_RUN(error_json_object);
	UNIT_RUN(unbind_request_exactly_one);
	UNIT_RUN(unbind_request_values);
	UNIT_RUN(rotate_request_required);
	UNIT_RUN(rotate_request_grace);
	UNIT_RUN(identity_states_refused);
	return unit_done();
}
