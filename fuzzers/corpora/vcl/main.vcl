# main VCL { not a block "nor a string
import std;

backend origin_eu {
    .host = "eu.origin.test";
    .port = "443";
    .ssl = true;
    .ssl_cert_hostname = "eu.origin.test"; // the cert's name }
    .ssl_check_cert = always;
    .min_tls_version = "1.2";
    .connect_timeout = 1s;
    /* a probe { with " quotes } */
    .probe = {
        .request = "HEAD / HTTP/1.1" "Host: eu.origin.test" "Connection: close";
        .expected_response = 200;
    }
}

sub vcl_recv {
#FASTLY recv
  if (req.http.host == "backend { x }") { set req.backend = origin_eu; }
}

director main random {
  { .backend = origin_eu; .weight = 1; }
}

backend F_us { .host = "us.origin.test"; .port = "443"; .ssl = true; }
