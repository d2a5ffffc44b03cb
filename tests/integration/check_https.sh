#!/bin/bash
# check_https.sh - `upkeep --batch check` over https://localhost, served by
# git http-backend behind lighttpd with TLS (mod_openssl) and a self-signed
# certificate made here: SSL_CERT_FILE / SSL_CERT_DIR trust it, and the
# errors for an untrusted certificate, a certificate for another name and a
# CA file that cannot be loaded.
. "$top_srcdir/tests/lib.sh"
https_require

# Under a sanitizer build, a report must not pass for the exit status 1 of a
# target that fails on purpose below.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"

# Whatever CA settings the caller has must not take part (upkeep reads the
# first two, git the others).
unset SSL_CERT_FILE SSL_CERT_DIR GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY

# re_quote TEXT : TEXT as an ERE that matches it literally.
re_quote() { printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'; }

# ---------------------------------------------------------------- fixtures and servers
SRV=$T/srv
mkdir -p "$SRV"
fixture_app "$T/work/app" "$SRV/app.git"
semver_names 300 | git_fast_tags "$SRV/big.git"

CERTS=$T/certs
tls_cert localhost "$CERTS"
tls_cert other.invalid "$CERTS"
mkdir -p "$T/cadir"
cp "$CERTS/localhost.crt" "$T/cadir/"

https_start "$SRV" "$CERTS/localhost.crt" "$CERTS/localhost.key"
GOOD_URL=$HTTPS_URL GOOD_PORT=$HTTPS_PORT GOOD_LOG=$HTTPS_ACCESS_LOG
https_start "$SRV" "$CERTS/other.invalid.crt" "$CERTS/other.invalid.key"
OTHER_URL=$HTTPS_URL
diag "serving $SRV at $GOOD_URL (localhost certificate) and $OTHER_URL (other.invalid certificate)"

# The servers themselves must work, or nothing below means anything.
run env GIT_SSL_CAINFO="$CERTS/localhost.crt" git ls-remote --tags "$GOOD_URL/big.git"
rc_is 0 "git ls-remote over the test https server works"
is "$(grep -vc '\^{}$' "$OUT")" 300 "git ls-remote sees 300 tags over https"
run env GIT_SSL_CAINFO="$CERTS/other.invalid.crt" git ls-remote --tags "$OTHER_URL/app.git"
isnt "$RC" 0 "git refuses the other.invalid certificate for localhost too"

APP_URL=$GOOD_URL/app.git
APP_URL_RE=$(re_quote "$APP_URL")
OTHER_APP_URL=$OTHER_URL/app.git

git_export "$SRV/app.git" v1.0.0 "$T/apps/app"
git_export "$SRV/big.git" v2.9.0 "$T/apps/big"
mkdir -p "$T/apps/fresh" "$T/apps/other" "$T/apps/local"

CFG=$T/upkeep.yaml
config_new "$CFG"
config_target "$CFG" app "$APP_URL" "$T/apps/app" stable
config_target "$CFG" fresh "$APP_URL" "$T/apps/fresh" beta
config_target "$CFG" big "$GOOD_URL/big.git" "$T/apps/big" stable

up --config "$CFG" --check-config
rc_is 0 "--check-config accepts https:// sources"
like "$(cat "$OUT")" 'configuration is valid \(3 targets\)' "--check-config: 3 https targets"

# ---------------------------------------------------------------- trusted through SSL_CERT_FILE
export SSL_CERT_FILE=$CERTS/localhost.crt
up --config "$CFG" --batch adopt app 1.0.0
rc_is 0 "adopt app 1.0.0 over https"
like "$(cat "$OUT")" '^app: recorded 1\.0\.0 as installed' "adopt app: recorded 1.0.0"
up --config "$CFG" --batch adopt big 2.9.0
rc_is 0 "adopt big 2.9.0 over https"
like "$(cat "$OUT")" '^big: recorded 2\.9\.0 as installed' "adopt big: recorded 2.9.0"

up --config "$CFG" --batch check --json
rc_is 100 "SSL_CERT_FILE=the server's certificate: check over https, exit 100"
is "$(jq -r .target "$OUT" | sort | tr '\n' ' ')" "app big fresh " "one JSON line per target"

is "$(jq_target app .ok)" true "app: ok"
is "$(jq_target app .error)" null "app: no error"
is "$(jq_target app .installed)" 1.0.0 "app: installed 1.0.0"
is "$(jq_target app .newest)" 2.0.0 "app: newest 2.0.0"
is "$(jq_target app .kind)" major "app: kind major"
is "$(jq_target app .newer)" 3 "app (stable): 3 newer"
is "$(jq_target app .tags)" 5 "app: 5 tags listed over https"
is "$(jq_target app '[.releases[].version] | join(" ")')" "2.0.0 2.0.0-rc1 1.1.0 1.0.1" \
	"app: the releases newer than 1.0.0, newest first"
is "$(jq_release app v1.1.0 '.flags | index("security") != null')" true \
	"app: v1.1.0 security flag read from the tag message fetched over https"

is "$(jq_target fresh .ok)" true "fresh: ok"
is "$(jq_target fresh .installed)" null "fresh: nothing installed"
is "$(jq_target fresh .newer)" 5 "fresh (beta): all 5 releases newer"

is "$(jq_target big .ok)" true "big (300 tags over https): ok"
is "$(jq_target big .tags)" 300 "big: 300 tags"
is "$(jq_target big .newest)" 2.9.9 "big: newest 2.9.9"
is "$(jq_target big .newer)" 9 "big: 9 newer"

up --config "$CFG" --batch check app
rc_is 100 "table mode over https: exit 100"
like "$(cat "$OUT")" '^app +1\.0\.0 +2\.0\.0 +major +security +3 +unsigned *$' "table row: app 1.0.0 2.0.0 major security 3 unsigned"

# The server saw the requests: upkeep really went over https, listing and
# fetching. lighttpd writes its access log in batches: wait for it a little.
wait_until 60 grep -q 'POST /git/app\.git/git-upload-pack .*libgit2' "$GOOD_LOG"
like "$(cat "$GOOD_LOG")" 'GET /git/app\.git/info/refs\?service=git-upload-pack .*libgit2' \
	"the server's access log shows libgit2 listing app.git"
like "$(cat "$GOOD_LOG")" 'POST /git/app\.git/git-upload-pack .*libgit2' \
	"the server's access log shows libgit2 fetching from app.git"

# ---------------------------------------------------------------- trusted through SSL_CERT_DIR
unset SSL_CERT_FILE
SSL_CERT_DIR=$T/cadir up --config "$CFG" --batch check app --json
rc_is 100 "SSL_CERT_DIR=a directory holding the certificate: exit 100"
is "$(jq_target app .ok)" true "SSL_CERT_DIR: app ok"
is "$(jq_target app .newest)" 2.0.0 "SSL_CERT_DIR: app newest 2.0.0"

# ---------------------------------------------------------------- not trusted
up --config "$CFG" --batch check app --json
rc_is 1 "no SSL_CERT_FILE: the self-signed certificate is refused, exit 1"
is "$(jq_target app .ok)" false "untrusted: app not ok"
like "$(jq_target app .error)" "^$APP_URL_RE: " "untrusted: the error names the URL"
like "$(jq_target app .error)" 'TLS certificate not trusted \(set SSL_CERT_FILE to trust a private CA\)' \
	"untrusted: the error says the certificate is not trusted and what to do"
up --config "$CFG" --batch check app
rc_is 1 "untrusted, table mode: exit 1"
like "$(cat "$ERR")" "app: $APP_URL_RE: .*TLS certificate not trusted" "untrusted: stderr names the target, the URL and the problem"

# Another certificate, trusted, does not vouch for this server.
SSL_CERT_FILE=$CERTS/other.invalid.crt up --config "$CFG" --batch check app --json
rc_is 1 "SSL_CERT_FILE=a certificate of another server: exit 1"
like "$(jq_target app .error)" "^$APP_URL_RE: .*TLS certificate not trusted" \
	"another server's certificate: not trusted for this one"

# ---------------------------------------------------------------- a certificate for another name
CFG2=$T/other.yaml
config_new "$CFG2"
config_target "$CFG2" other "$OTHER_APP_URL" "$T/apps/other" stable
SSL_CERT_FILE=$CERTS/other.invalid.crt up --config "$CFG2" --batch check --json
rc_is 1 "a trusted certificate for other.invalid served as localhost: exit 1"
is "$(jq_target other .ok)" false "name mismatch: not ok"
like "$(jq_target other .error)" "^$(re_quote "$OTHER_APP_URL"): " "name mismatch: the error names the URL"
like "$(jq_target other .error)" 'TLS certificate does not match the host name localhost' \
	"name mismatch: the error says the certificate is for another name"
is "$(jq_target other '.error | test("SSL_CERT_FILE")')" false \
	"name mismatch: no advice to trust a CA, which would not help"

# An IP address: libgit2 (mbedTLS) never matches it against a certificate.
CFG3=$T/ip.yaml
config_new "$CFG3"
config_target "$CFG3" ip "https://127.0.0.1:$GOOD_PORT/git/app.git" "$T/apps/other" stable
SSL_CERT_FILE=$CERTS/localhost.crt up --config "$CFG3" --batch check --json
rc_is 1 "https://127.0.0.1 with the localhost certificate: exit 1"
like "$(jq_target ip .error)" 'does not match the host name 127\.0\.0\.1; libgit2 does not match IP addresses in certificates, use a host name' \
	"IP address: the error says to use a host name"

# ---------------------------------------------------------------- a CA file that cannot be loaded
CFG4=$T/mixed.yaml
config_new "$CFG4"
config_target "$CFG4" app "$APP_URL" "$T/apps/app" stable
config_target "$CFG4" local "$SRV/app.git" "$T/apps/local" stable
SSL_CERT_FILE=$T/no-such-ca.pem up --config "$CFG4" --batch check --json
rc_is 1 "SSL_CERT_FILE names a missing file: exit 1"
is "$(jq_target app .ok)" false "missing CA file: the https target fails"
like "$(jq_target app .error)" "^$APP_URL_RE: .*cannot load the CA certificates of SSL_CERT_FILE=$(re_quote "$T/no-such-ca.pem")" \
	"missing CA file: the error names the URL and the file"
is "$(jq_target local .ok)" true "missing CA file: a local target is still checked"
is "$(jq_target local .newest)" 2.0.0 "missing CA file: local target newest 2.0.0"

done_testing
