/* Logging for setup and control-core code in dataplane/. Never used on a
 * per-packet path: packets are counted, not logged. */
#ifndef WGATE_DATAPLANE_LOG_H
#define WGATE_DATAPLANE_LOG_H

#include "lib/util/log.h"

#define DP_LOG(level, ...) DP_LOG_##level(__VA_ARGS__)
#define DP_LOG_ERR(...) WG_LOG(ERR, "dataplane", __VA_ARGS__)
#define DP_LOG_WARNING(...) WG_LOG(WARN, "dataplane", __VA_ARGS__)
#define DP_LOG_INFO(...) WG_LOG(INFO, "dataplane", __VA_ARGS__)
#define DP_LOG_DEBUG(...) WG_LOG(DEBUG, "dataplane", __VA_ARGS__)

#endif
