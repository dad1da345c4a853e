module github.com/groupsync/groupsync

go 1.23.0

require golang.org/x/text v0.25.0

require github.com/google/go-cmp v0.7.0
