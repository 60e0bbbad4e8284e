-- Demo Prosody for docker-compose.yml. Not a production configuration.
admins = {}
data_path = "/var/lib/prosody"
log = { { levels = { min = "info" }, to = "console" } }
c2s_ports = { 5222 }
s2s_ports = {}
http_ports = {}
https_ports = {}
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "version", "time", "presence", "message", "smacks", "mam", "carbons", "offline", "vcard", "pep" }
authentication = "internal_hashed"
c2s_require_encryption = true
ssl = { certificate = "/certs/xmpp.crt", key = "/certs/xmpp.key" }
default_archive_policy = true
VirtualHost "xmpp"
Component "conference.xmpp" "muc"
    modules_enabled = { "muc_mam" }
