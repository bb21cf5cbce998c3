# The SDK headers: installed under $(includedir)/ppofw.
ppofwincludedir = $(includedir)/ppofw
ppofwinclude_HEADERS = \
	include/ppofw/ppofw.h \
	include/ppofw/export.h \
	include/ppofw/plugin.h \
	include/ppofw/params.h \
	include/ppofw/rng.h \
	include/ppofw/env.h \
	include/ppofw/policy.h \
	include/ppofw/advantage.h \
	include/ppofw/codegen.h \
	include/ppofw/optimizer.h \
	include/ppofw/dist.h \
	include/ppofw/nn.h \
	include/ppofw/conv.h \
	include/ppofw/rnn.h
nodist_ppofwinclude_HEADERS = include/ppofw/version.h
