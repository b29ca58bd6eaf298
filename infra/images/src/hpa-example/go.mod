module kadai.local/hpa-example

go 1.19
