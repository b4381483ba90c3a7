backend a { .host = "a" "b"; }
backend { }
backend twice { .host = "a"; .host = "b"; }
