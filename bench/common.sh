# Shared by the bench/ scripts (sourced, after `set -eu`): the program to run and the JSON
# reader for `ppofw bench --json`.
#
#   . "$(dirname "$0")/common.sh"        sets here (bench/), top (the source tree) and ppofw: $1,
#                                        else ./ppofw when it exists, else ppofw in PATH

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
ppofw=${1:-}
if [ -z "$ppofw" ]; then
    if [ -x ./ppofw ]; then ppofw=./ppofw; else ppofw=ppofw; fi
fi

# the value of numeric key $2 in the one-line JSON object $1
json_get() {
    printf '%s\n' "$1" | tr -d '{}' | tr ',' '\n' |
        awk -F': ' -v k="\"$2\"" '{ gsub(/^ +/, "", $1) } $1 == k { print $2 }'
}

# the value of string key $2 in the one-line JSON object $1
json_str() {
    printf '%s\n' "$1" | sed -n "s/.*\"$2\": \"\([^\"]*\)\".*/\1/p"
}
