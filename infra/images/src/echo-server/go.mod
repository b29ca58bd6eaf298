module kadai.local/echo-server

go 1.19
