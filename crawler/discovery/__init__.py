"""Where the spider finds articles, one module a source, composed into `crawler.spiders.dddn.DddnSpider`
the way Scrapy composes `CrawlSpider` and `SitemapSpider` from `Spider`: what every source shares
(`base.ArchiveSpider`: what the archive knows, planning, the fetch record), the home page's menus, the
listings with their numbered pages and the "Xem thêm" cursor, the sitemaps, the RSS feeds, and the revisit
policy that sitemaps inform."""
