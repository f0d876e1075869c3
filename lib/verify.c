#include "verify.h"

#include "banned.h"

const char *
tk_verify_status_name(enum tk_verify_status s)
{
	switch (s) {
	case TK_VERIFY_NOT_DONE:
		return "not-done";
	case TK_VERIFY_OK:
		return "ok";
	case TK_VERIFY_FAILED:
		return "failed";
	case TK_VERIFY_SKIPPED:
		return "skipped";
	}
	return "not-done";
}
