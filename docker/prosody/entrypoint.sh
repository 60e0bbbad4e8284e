#!/bin/sh
# Creates the demo accounts, then runs Prosody in the foreground.
set -e
prosodyctl register alice xmpp alice-demo-password
prosodyctl register bob xmpp bob-demo-password
exec prosody -F
