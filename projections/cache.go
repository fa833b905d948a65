package projections

import "container/list"

// viewCache is a small LRU of the views the projector last wrote, keyed by
// order id. A cached view is the fold of its order's events up to its
// Version, so it is a valid base for the next events whatever Redis holds:
// the apply script checks the version, and a view computed from a cache that
// is behind or ahead of Redis is never written (the script answers
// duplicate, gap or stale). It is used by one goroutine.
type viewCache struct {
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	id   string
	view View
}

func newViewCache(max int) *viewCache {
	return &viewCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *viewCache) get(id string) (View, bool) {
	if el, ok := c.items[id]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cacheEntry).view, true
	}
	return View{}, false
}

func (c *viewCache) put(id string, v View) {
	if c.max <= 0 {
		return
	}
	if el, ok := c.items[id]; ok {
		el.Value.(*cacheEntry).view = v
		c.ll.MoveToFront(el)
		return
	}
	c.items[id] = c.ll.PushFront(&cacheEntry{id: id, view: v})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).id)
	}
}

func (c *viewCache) remove(id string) {
	if el, ok := c.items[id]; ok {
		c.ll.Remove(el)
		delete(c.items, id)
	}
}

func (c *viewCache) len() int { return c.ll.Len() }
