/* Feature flags over the DPDK telemetry socket (wgatectl flags):
 *   /wgate/flags        a list of "NAME VALUE SOURCE PAYLOAD" (VALUE on|off,
 *                       SOURCE remote|env|default|fetch-failed, PAYLOAD
 *                       yes|no), one per flag; plus, last, "fetch OK FAILED
 *                       LAST_ERROR" when flags are fetched
 *   /wgate/flag,NAME    name, value (0|1), source, payload_present, payload
 *                       (the JSON text; cut to fit a telemetry string, with
 *                       payload_truncated 1)
 * DPDK 22.11 puts no dictionary in a list, hence the strings. The callbacks
 * run on the telemetry thread and read control/flags.c's state under
 * ctl_lock, which the control loop holds while it changes it. */
#include "control/telemetry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "control/flags.h"
#include "control/peers.h"

static int flags_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char line[RTE_TEL_MAX_STRING_LEN];

	(void)cmd;
	if (params && *params)
		return -EINVAL;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&ctl_lock);
	for (unsigned int i = 0; i < ctl_flags_count(); i++) {
		snprintf(line, sizeof(line), "%s %s %s %s", ctl_flag_name(i),
			 ctl_flag_value(i) ? "on" : "off", ctl_flag_source(i),
			 ctl_flags_payload(ctl_flag_name(i)) ? "yes" : "no");
		rte_tel_data_add_array_string(d, line);
	}
	if (ctl_flags_host()) {
		uint64_t ok, failed;
		const char *err;

		ctl_flags_stats(&ok, &failed, &err);
		snprintf(line, sizeof(line), "fetch %" PRIu64 " %" PRIu64 " %s", ok, failed,
			 *err ? err : "-");
		rte_tel_data_add_array_string(d, line);
	}
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

static int flag_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char buf[RTE_TEL_MAX_STRING_LEN];
	unsigned int i;
	const char *p;

	(void)cmd;
	for (i = 0; i < ctl_flags_count(); i++)
		if (params && !strcmp(params, ctl_flag_name(i)))
			break;
	if (i == ctl_flags_count())
		return -ENOENT;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", ctl_flag_name(i));
	pthread_mutex_lock(&ctl_lock);
	rte_tel_data_add_dict_int(d, "value", ctl_flag_value(i) ? 1 : 0);
	rte_tel_data_add_dict_string(d, "source", ctl_flag_source(i));
	p = ctl_flags_payload(ctl_flag_name(i));
	rte_tel_data_add_dict_int(d, "payload_present", p ? 1 : 0);
	if (p) {
		snprintf(buf, sizeof(buf), "%s", p);
		rte_tel_data_add_dict_string(d, "payload", buf);
		rte_tel_data_add_dict_int(d, "payload_truncated", strlen(p) >= sizeof(buf));
	}
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

int ctl_telemetry_flags_init(void)
{
	int rc = rte_telemetry_register_cmd("/wgate/flags", flags_cb,
					    "Feature flags: \"NAME VALUE SOURCE PAYLOAD\" each,"
					    " then \"fetch OK FAILED LAST_ERROR\"");

	if (!rc)
		rc = rte_telemetry_register_cmd("/wgate/flag", flag_cb,
						"One feature flag with its payload. Parameter: name");
	return rc;
}
