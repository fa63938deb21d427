#ifndef WGATE_CONTROL_RELOAD_H
#define WGATE_CONTROL_RELOAD_H

struct wg_config;

/* SIGHUP: re-reads path (+ environment). A bad file is logged (file:line:
 * reason) and changes nothing. Otherwise peers, resources and grants take
 * the new file's values without touching established sessions; changes to
 * [Interface], [Dataplane] and [Port] need a restart and are reported.
 * running: the configuration the gateway started with. */
void ctl_reload(const char *path, const struct wg_config *running);

/* Applies cfg's peers, resources and grants (SIGHUP, signaling): peers
 * synced (sessions kept, a removed peer's closed), grant tables rebuilt and
 * published. cfg becomes ctl.effective (ownership taken), also when
 * applying failed part-way. 0 or -errno. Control lcore, under ctl_lock. */
int ctl_apply(struct wg_config *cfg);

#endif
