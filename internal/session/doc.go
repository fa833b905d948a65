// Package session keeps a Kafka group member running across failed
// transactions: the processor's and the saga's GroupTransactSession loops.
package session
