package sample

// EmailPart is emailPart, for the tests of package sample_test.
var EmailPart = emailPart
