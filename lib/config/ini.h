/* The line lexer under wgate.conf: text in, sections of key/value entries out,
 * each tagged with its line. It knows nothing of what the sections mean.
 *
 * Why not libinih: Debian's libinih (55) is built with its defaults,
 * INI_CALL_HANDLER_ON_NEW_SECTION 0 and INI_HANDLER_LINENO 0, so its handler
 * is called per key with only the section's name: it is never told where a
 * section starts (two [Peer] or [Access] sections in a row cannot be told
 * from one section with repeated keys) nor on which line a key is (errors
 * could not name the line). wgate.conf, like wg-quick's, relies on repeated
 * sections, and every error must name its line, so we lex lines ourselves.
 * (Its default INI_ALLOW_MULTILINE would also glue indented lines to the
 * previous value.)
 *
 * Syntax: "[Type]" or "[Type name]" headers; "Key = Value" lines; blank lines;
 * comments starting with '#' or ';' on their own line, or after whitespace in
 * a value (base64, addresses and names never contain either). CRLF and a
 * UTF-8 BOM are accepted. Keys must be unique within a section (compared
 * without case, as wg(8) compares key names).
 */
#ifndef WGATE_LIB_CONFIG_INI_H
#define WGATE_LIB_CONFIG_INI_H

#include <stdbool.h>
#include <stddef.h>

struct wg_config_error;

struct ini_entry {
	const char *key;	/* as written in the file, canonical when from env */
	const char *value;	/* trimmed, comment removed; "" when empty */
	int line;		/* 1-based; 0 when from the environment */
	char *env;		/* owned: the WGATE_* name when from the environment */
	bool dropped;		/* overridden away by an env variable (see config.c) */
};

struct ini_section {
	const char *type;	/* first word inside [], as written */
	const char *name;	/* second word, or NULL */
	int line;		/* line of the header; 0 when created for an env variable */
	struct ini_entry *e;
	size_t n, cap;
};

/* Owner: the loader, for the duration of one load. text is the file's copy,
 * split in place; it may hold keys, so wg_ini_free() wipes it. */
struct ini_doc {
	const char *file;	/* for error messages */
	char *text;
	size_t text_len;
	struct ini_section *s;
	size_t n, cap;
};

/* Lexes text (len bytes; copied). 0, -EINVAL (err filled) or -ENOMEM. */
int wg_ini_parse(struct ini_doc *doc, const char *file, const char *text, size_t len,
		 struct wg_config_error *err);
/* Appends an empty section with line 0 (for env variables); NULL on -ENOMEM. */
struct ini_section *wg_ini_section_add(struct ini_doc *doc, const char *type);
/* Appends an entry to s; NULL on -ENOMEM. */
struct ini_entry *wg_ini_entry_add(struct ini_section *s, const char *key, const char *value,
				   int line);
void wg_ini_free(struct ini_doc *doc);

#endif
