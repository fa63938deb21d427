#include "lib/config/ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "lib/config/config.h"

static int lex_error(struct ini_doc *doc, int line, struct wg_config_error *err,
		     const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", doc->file);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *trim(char *s)
{
	char *end;

	while (is_space(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_space(end[-1]))
		*--end = '\0';
	return s;
}

/* A comment starts at '#' or ';' that opens the text or follows whitespace. */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if ((*p == '#' || *p == ';') && (p == s || is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static bool key_name_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++) {
		char c = *k;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

struct ini_section *wg_ini_section_add(struct ini_doc *doc, const char *type)
{
	struct ini_section *s;

	if (doc->n == doc->cap) {
		size_t cap = doc->cap ? doc->cap * 2 : 16;
		s = realloc(doc->s, cap * sizeof(*s));
		if (!s)
			return NULL;
		doc->s = s;
		doc->cap = cap;
	}
	s = &doc->s[doc->n++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	return s;
}

struct ini_entry *wg_ini_entry_add(struct ini_section *s, const char *key, const char *value,
				   int line)
{
	struct ini_entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		e = realloc(s->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		s->e = e;
		s->cap = cap;
	}
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->value = value;
	e->line = line;
	return e;
}

static int lex_header(struct ini_doc *doc, char *l, int line, struct wg_config_error *err)
{
	char *close = strchr(l, ']');
	char *in, *name = NULL;
	struct ini_section *s;

	if (!close)
		return lex_error(doc, line, err, "section header without closing ']'");
	*close = '\0';
	strip_comment(close + 1);
	if (*trim(close + 1))
		return lex_error(doc, line, err, "text after ']' in a section header");
	in = trim(l + 1);
	if (!*in)
		return lex_error(doc, line, err, "empty section header");
	for (char *p = in; *p; p++) {
		if (is_space(*p)) {
			*p = '\0';
			name = trim(p + 1);
			break;
		}
	}
	if (name && strpbrk(name, " \t\v\f\r"))
		return lex_error(doc, line, err, "[%s %s]: a section header is a type and one name",
				 in, name);
	s = wg_ini_section_add(doc, in);
	if (!s)
		return -ENOMEM;
	s->name = name;
	s->line = line;
	return 0;
}

static int lex_entry(struct ini_doc *doc, char *l, int line, struct wg_config_error *err)
{
	char *eq = strchr(l, '=');
	char *key, *value;
	struct ini_section *s;

	if (!eq)
		return lex_error(doc, line, err, "expected 'Key = Value' or a [Section] header");
	*eq = '\0';
	key = trim(l);
	value = eq + 1;
	strip_comment(value);
	value = trim(value);
	if (!key_name_ok(key))
		/* Never echo the text: a stray line may be a bare key. */
		return lex_error(doc, line, err,
				 "expected 'Key = Value' (key names are letters and digits)");
	if (!doc->n)
		return lex_error(doc, line, err, "%s: key outside any section", key);
	s = &doc->s[doc->n - 1];
	for (size_t i = 0; i < s->n; i++) {
		if (!strcasecmp(s->e[i].key, key))
			return lex_error(doc, line, err, "[%s%s%s] %s: duplicate key (first at line %d)",
					 s->type, s->name ? " " : "", s->name ? s->name : "",
					 key, s->e[i].line);
	}
	return wg_ini_entry_add(s, key, value, line) ? 0 : -ENOMEM;
}

int wg_ini_parse(struct ini_doc *doc, const char *file, const char *text, size_t len,
		 struct wg_config_error *err)
{
	char *p, *end;
	int line = 0, rc;

	memset(doc, 0, sizeof(*doc));
	doc->file = file;
	doc->text = malloc(len + 1);
	if (!doc->text)
		return -ENOMEM;
	memcpy(doc->text, text, len);
	doc->text[len] = '\0';
	doc->text_len = len + 1;
	p = doc->text;
	end = p + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *next = nl ? nl + 1 : end;
		char *l;

		line++;
		if (nl)
			*nl = '\0';
		if (strlen(p) != (size_t)((nl ? nl : end) - p))
			return lex_error(doc, line, err, "NUL byte in the file");
		l = trim(p);
		p = next;
		if (!*l || *l == '#' || *l == ';')
			continue;
		rc = *l == '[' ? lex_header(doc, l, line, err) : lex_entry(doc, l, line, err);
		if (rc)
			return rc;
	}
	return 0;
}

void wg_ini_free(struct ini_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		for (size_t j = 0; j < doc->s[i].n; j++)
			free(doc->s[i].e[j].env);
		free(doc->s[i].e);
	}
	free(doc->s);
	if (doc->text) {
		/* The copy of the file may hold PrivateKey/PresharedKey values. */
		sodium_memzero(doc->text, doc->text_len);
		free(doc->text);
	}
	memset(doc, 0, sizeof(*doc));
}
