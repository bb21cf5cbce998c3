#!/bin/sh
# ppofw tests — the installed SDK, used the way a plugin author with only the package uses it.
#
# Under `make check` the install is a staged one (`make install DESTDIR=tests/sdk/stage`, made by
# tests/sdk/local.mk and described by tests/sdk/stage.env, both removed at the end); under
# `make installcheck` it is the real one (described by the file given as $1), and the installed
# ppofw must then find its plugins with no environment variables at all. The staged ppofw looks
# for plugins in the real plugin directory, so a staged run points PPOFW_PLUGIN_PATH, the
# loader's and pkg-config's paths into the stage.
#
# Checks, in order: every file the SDK installs is there (program, libppofw and libppofw-check,
# the headers of both, ppofw.pc and ppofw-check.pc, plugins without their .la, configs, the
# documentation and the examples in the doc directory, the manual pages); every command `ppofw
# --help` lists has its page, and `man -l` renders every page without a warning; pkg-config gives
# the include, plugin and doc directories and the testing API's flags; the headers, the manual
# and the new-plugin templates name the installed guide; the installed ppofw lists every shipped
# plugin from the plugin directory and validates every installed config; the examples, copied
# out of the installed doc directory, build with their plain Makefiles (warnings are errors) and
# pass `make check` (check-env/check-policy, their Check suites against the testing API, and for
# the linear policy a training run, its export and the export's test), and train: the
# gridworld's mean return must rise from below 0.3 to above 0.75, the linear policy and both
# together run a few iterations; each of the `ppofw new-plugin`
# skeletons (the four kinds, and the env with --image observations) builds, passes
# `make check` (validate, and the kind's checker: check-policy compiles the policy
# skeleton's export) and trains a few iterations.
#
# Leaves out: what the other suites test (the checkers' verdicts, the commands' output).
set -eu

envfile=${1:-${PPO_TEST_BUILDDIR:-.}/tests/sdk/stage.env}
if [ ! -r "$envfile" ]; then
    echo "$envfile is missing: run this test through make check (which stages an install" \
        "first) or make installcheck" >&2
    exit 99
fi
# root, stage_owned, bindir, libdir, includedir, pkgconfigdir, plugindir, pkgdatadir, docdir,
# man1dir, man3dir, srcdir, plugin_files (the plugins' .la in the build tree), header_files,
# check_header_files, doc_files, man_pages, example_files (paths in the source tree)
. "$envfile"
plugins=
for f in $plugin_files; do plugins="$plugins $(basename "$f" .la)"; done
headers=
for f in $header_files; do headers="$headers $(basename "$f")"; done

work=$(mktemp -d "${TMPDIR:-/tmp}/ppofw-sdk.XXXXXX")
cleanup() {
    rm -rf "$work"
    if [ "$stage_owned" = 1 ]; then rm -rf "$root" "$envfile"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() {
    echo "== $*"
}

ppofw="$root$bindir/ppofw"
strict="-O2 -Wall -Wextra -Wno-unused-parameter -Werror"
export PKG_CONFIG_PATH="$root$pkgconfigdir"
# the examples' programs find the installed libraries as a user's would after ldconfig, also
# under a prefix the dynamic linker does not search (make distcheck's)
export LD_LIBRARY_PATH="$root$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -n "$root" ]; then
    export PKG_CONFIG_SYSROOT_DIR="$root"
    export PPOFW_PLUGIN_PATH="$root$plugindir"
else
    unset PPOFW_PLUGIN_PATH
fi
# the examples' make is a user's own, not a sub-make of the test harness
unset MAKEFLAGS MFLAGS MAKELEVEL

if [ "$stage_owned" = 1 ] && [ ! -d "$root" ]; then
    fail "the stage $root is gone; run make check again (this run removes $envfile, so the" \
        "next one stages afresh)"
fi

step "installed files under ${root:-/}"
[ -x "$ppofw" ] || fail "$ppofw is not installed"
for lib in libppofw libppofw-check; do
    ls "$root$libdir/$lib".so* > /dev/null || fail "$lib.so is not installed in $root$libdir"
done
for h in $headers; do
    [ -f "$root$includedir/ppofw/$h" ] || fail "header ppofw/$h is not installed"
done
for h in $check_header_files; do
    [ -f "$root$includedir/ppofw-check/$(basename "$h")" ] ||
        fail "header ppofw-check/$(basename "$h") is not installed"
done
for pc in ppofw ppofw-check; do
    [ -f "$root$pkgconfigdir/$pc.pc" ] || fail "$pc.pc is not installed in $root$pkgconfigdir"
done
for p in $plugins; do
    [ -f "$root$plugindir/$p.so" ] || fail "plugin $p.so is not installed in $root$plugindir"
    [ ! -e "$root$plugindir/$p.la" ] || fail "$p.la is installed next to $p.so"
done
ls "$root$pkgdatadir"/configs/*.yaml > /dev/null || fail "no configs in $root$pkgdatadir/configs"
for d in $doc_files; do
    [ -s "$root$docdir/$(basename "$d")" ] || fail "$(basename "$d") is not installed in $root$docdir"
done
for e in $example_files; do
    [ -f "$root$docdir/$e" ] || fail "$e is not installed in $root$docdir"
done

step "manual pages"
for m in $man_pages; do
    page=$(basename "$m")
    case $page in *.1) dir=$man1dir ;; *) dir=$man3dir ;; esac
    [ -s "$root$dir/$page" ] || fail "$page is not installed in $root$dir"
done
# one page per command the program lists
commands=$("$ppofw" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on { print $1 }')
[ -n "$commands" ] || fail "ppofw --help lists no commands"
for c in $commands; do
    [ -s "$root$man1dir/ppofw-$c.1" ] || fail "the command $c has no page ppofw-$c.1 in $root$man1dir"
done
if command -v man > /dev/null 2>&1; then
    for m in $man_pages; do
        page=$(basename "$m")
        case $page in *.1) dir=$man1dir ;; *) dir=$man3dir ;; esac
        MANWIDTH=80 man --warnings=w -l "$root$dir/$page" > "$work/page.txt" 2> "$work/page.err" ||
            fail "man -l $page failed: $(cat "$work/page.err")"
        [ ! -s "$work/page.err" ] || fail "man -l $page warns: $(cat "$work/page.err")"
        grep -q '^NAME' "$work/page.txt" || fail "man -l $page renders no NAME section"
    done
    echo "every page renders without a warning"
else
    echo "skipped: man is not installed (apt-get install man-db groff-base), so the pages were" \
        "not rendered"
fi
# roff writes a path's hyphens as \- (a prefix such as ppofw-0.1.0/_inst has some)
docdir_roff=$(printf '%s' "$docdir" | sed 's/-/\\-/g')
for page in "$man3dir/ppofw-plugin.3" "$man3dir/ppofw-check.3" "$man1dir/ppofw.1"; do
    grep -qF -e "$docdir" -e "$docdir_roff" "$root$page" || fail "$page does not name the installed docs in $docdir"
done
grep -q '\\-\\-set' "$root$man1dir/ppofw-run.1" || fail "ppofw-run.1 does not list run's options"

step "pkg-config"
cflags=$(pkg-config --cflags ppofw)
case " $cflags " in
*" -I$root$includedir "*) ;;
*) fail "pkg-config --cflags ppofw gives '$cflags', not -I$root$includedir" ;;
esac
libs=$(pkg-config --libs ppofw)
case " $libs " in
*" -lppofw "*) ;;
*) fail "pkg-config --libs ppofw gives '$libs' without -lppofw" ;;
esac
pdir=$(pkg-config --variable=plugindir ppofw)
[ "$pdir" = "$plugindir" ] || [ "$pdir" = "$root$plugindir" ] ||
    fail "pkg-config's plugindir is $pdir, the plugins are in $plugindir"
ddir=$(pkg-config --variable=docdir ppofw)
[ "$ddir" = "$docdir" ] || [ "$ddir" = "$root$docdir" ] ||
    fail "pkg-config's docdir is $ddir, the documentation is in $docdir"
libs=" $(pkg-config --libs ppofw-check) "
case $libs in *" -lppofw-check "*) ;; *) fail "pkg-config --libs ppofw-check gives '$libs'" ;; esac
case $libs in *" -lppofw "*) ;; *) fail "pkg-config --libs ppofw-check lacks ppofw's: '$libs'" ;; esac

step "the headers, the manual and the templates point at the installed guide"
[ -s "$root$docdir/plugin-guide.md" ] || fail "no plugin-guide.md in $root$docdir"
for h in ppofw/ppofw.h ppofw-check/check.h; do
    grep -q 'plugin-guide.md' "$root$includedir/$h" && grep -q 'variable=docdir' "$root$includedir/$h" ||
        fail "$h does not say where the installed guide is"
done
"$ppofw" new-plugin env tpl_env --dir "$work/tpl" 2> /dev/null
grep -q "$docdir/plugin-guide.md" "$work/tpl/tpl_env/tpl_env.c" ||
    fail "the new-plugin template does not name $docdir/plugin-guide.md"

step "the installed ppofw finds its plugins${root:+ (PPOFW_PLUGIN_PATH=$PPOFW_PLUGIN_PATH)}"
"$ppofw" --version
"$ppofw" plugins > "$work/plugins.txt"
for p in $plugins; do
    # the core's own comm backends are plugins too, but not listed
    case $p in comm_*) continue ;; esac
    grep -q " $root$plugindir/$p.so " "$work/plugins.txt" ||
        fail "ppofw plugins does not list $p from $root$plugindir: $(cat "$work/plugins.txt")"
done
for c in "$root$pkgdatadir"/configs/*.yaml; do
    "$ppofw" validate "$c" || fail "the installed config $c does not validate"
done

step "the examples, copied out of the installed doc directory, build and test against the SDK"
cp -R "$root$docdir/examples/gridworld" "$root$docdir/examples/linear_policy" "$work/"
chmod -R u+w "$work"
make -C "$work/gridworld" CFLAGS="$strict"
make -C "$work/linear_policy" CFLAGS="$strict"
# a sanitizer build's libppofw needs the ASan runtime first in the examples' own (uninstrumented)
# test programs: preload it for their checks, without leak reports from the compiler they run
asan=$(ldd "$root$libdir/libppofw.so" 2>/dev/null | awk '/libasan/ { print $3; exit }')
example_check() { # DIR
    if [ -n "$asan" ]; then
        LD_PRELOAD="$asan" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
            make -C "$1" check PPOFW="$ppofw"
    else
        make -C "$1" check PPOFW="$ppofw"
    fi
}
example_check "$work/gridworld"
example_check "$work/linear_policy"

step "PPO learns the gridworld example"
(cd "$work/gridworld" && "$ppofw" run -q --plugin-path . gridworld.yaml --run-dir "$work/run-grid")
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ep_return_mean") c = i; next }
    $c != "" { r[++n] = $c }
    END {
        if (n < 10) { print "only " n " rows with a return"; exit 1 }
        first = (r[1] + r[2] + r[3]) / 3; last = (r[n] + r[n-1] + r[n-2] + r[n-3] + r[n-4]) / 5
        printf "mean return: first 3 iterations %.3f, last 5 iterations %.3f\n", first, last
        if (!(first < 0.3 && last > 0.75 && last > first + 0.5)) exit 1
    }' "$work/run-grid/metrics.csv" || fail "the gridworld's return did not rise"

step "training with the linear_policy example, and with both examples"
(cd "$work/linear_policy" && "$ppofw" run -q --plugin-path . linear_policy.yaml \
    --set ppo.total_steps=4096 --run-dir "$work/run-linear")
(cd "$work/gridworld" && "$ppofw" run -q --plugin-path . --plugin-path ../linear_policy \
    gridworld.yaml --set policy.plugin=linear_policy \
    --set ppo.total_steps=4096 --run-dir "$work/run-both")
for r in run-linear run-both; do
    [ "$(wc -l < "$work/$r/metrics.csv")" -ge 5 ] || fail "$r wrote too few metrics rows"
done

step "ppofw new-plugin skeletons build, check and train"
for kind in env policy advantage optimizer image; do
    name="my_$kind"
    if [ "$kind" = image ]; then
        "$ppofw" new-plugin env "$name" --image --dir "$work/new"
    else
        "$ppofw" new-plugin "$kind" "$name" --dir "$work/new"
    fi
    make -C "$work/new/$name" CFLAGS="$strict"
    make -C "$work/new/$name" check PPOFW="$ppofw"
    (cd "$work/new/$name" && "$ppofw" run -q --plugin-path . "$name.yaml" \
        --set ppo.total_steps=1024 --run-dir "$work/run-$name")
done

echo "the installed SDK works from outside the tree"
