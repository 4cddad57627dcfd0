module github.com/certsync/certsync

go 1.26.8

require (
	github.com/google/go-cmp v0.7.0
	github.com/sethvargo/go-envconfig v1.4.3
	golang.org/x/oauth2 v0.37.0
	golang.org/x/term v0.47.0
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/sys v0.49.0 // indirect
