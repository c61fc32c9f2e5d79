// SPDX-License-Identifier: GPL-2.0-only
/* events — decoding and names of kernel events (see events.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "events.h"

int kk_event_decode(const void *data, size_t size, struct kk_event *out)
{
	const struct kk_event *raw = data;

	if (size < KK_EVENT_HDR_SIZE || size > sizeof(*out))
		return -EINVAL;
	if (raw->path_len > size - KK_EVENT_HDR_SIZE)
		return -EINVAL;
	memcpy(out, data, KK_EVENT_HDR_SIZE + raw->path_len);
	out->comm[KK_COMM_LEN - 1] = '\0';
	/* path_len counts the kernel's NUL; terminate defensively at or before it. */
	out->path[out->path_len ? out->path_len - 1 : 0] = '\0';
	return 0;
}

const char *kk_event_type_name(__u32 type)
{
	static const char *const names[] = {
		[KK_EV_ACTION_ALLOWED] = "action.allowed", [KK_EV_ACTION_DENIED] = "action.denied",
		[KK_EV_ACTION_AUDITED] = "action.audited", [KK_EV_AGENT_BOUND] = "agent.bound",
		[KK_EV_AGENT_UNBOUND] = "agent.unbound",   [KK_EV_AGENT_REVOKED] = "agent.revoked",
		[KK_EV_AGENT_BLOCKED] = "agent.blocked",   [KK_EV_EVENTS_LOST] = "events.lost",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

const char *kk_event_decision(__u32 type)
{
	switch (type) {
	case KK_EV_ACTION_ALLOWED:
		return "allow";
	case KK_EV_ACTION_DENIED:
		return "deny";
	case KK_EV_ACTION_AUDITED:
		return "audit";
	default:
		return NULL;
	}
}

const char *kk_hook_name(__u32 hook)
{
	static const char *const names[KK_HOOK_MAX] = {
		[KK_HOOK_NONE] = "none",
		[KK_HOOK_FILE_OPEN] = "file_open",
		[KK_HOOK_TASK_ALLOC] = "task_alloc",
	};

	if (hook < KK_HOOK_MAX && names[hook])
		return names[hook];
	return "unknown";
}

const char *kk_reason_text(__u32 reason)
{
	static const char *const text[KK_REASON_MAX] = {
		[KK_REASON_NONE] = "",
		[KK_REASON_DENY_PREFIX] = "path under the binding's deny prefix",
		[KK_REASON_PATH_UNRESOLVED] = "path could not be resolved (fail closed)",
		[KK_REASON_BINDING_MISSING] = "binding entry missing (fail closed)",
		[KK_REASON_NOT_ACTIVE] = "binding not active",
		[KK_REASON_STORAGE_FULL] = "child could not inherit the binding (fail closed)",
	};

	if (reason < KK_REASON_MAX && text[reason])
		return text[reason];
	return "unknown";
}

const char *kk_access_str(__u32 access, char *buf, size_t len)
{
	static const struct {
		__u32 bit;
		const char *name;
	} bits[] = {
		{ KK_ACCESS_READ, "read" },
		{ KK_ACCESS_WRITE, "write" },
		{ KK_ACCESS_EXEC, "exec" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(access & bits[i].bit))
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? "," : "",
				 bits[i].name);
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}
