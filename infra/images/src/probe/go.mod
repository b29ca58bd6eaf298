module kadai.local/probe

go 1.19
