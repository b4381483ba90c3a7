backend init_b {
	.host = "b.test";
	.share_key = "a%20b";
	.ssl_ca_cert = {"-----BEGIN CERTIFICATE-----
MIIB
-----END CERTIFICATE-----
"};
	.ssl_client_cert = {X"a"}b"X};
}
