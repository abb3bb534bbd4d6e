# Runs `blogsearch index` after every `jekyll build`, so the search index
# follows the site. Copy this file into the site's _plugins/ folder.
#
# _config.yml (all optional):
#
#   blogsearch:
#     index: /srv/blogsearch/index   # where the index is written (default: _blogsearch next to the site)
#     command: blogsearch            # the blogsearch executable (default: found on PATH)
#     skip_on_serve: true            # `jekyll serve` rebuilds on every save: skip there (default)
#
# The index run is incremental: only posts that changed are analysed again.
# It reads the site's posts itself (the Markdown sources), with the site's
# url, baseurl, permalink and timezone passed on from Jekyll's configuration,
# so the links it stores are the ones Jekyll wrote. A failed run stops the
# build with blogsearch's one-line message.

require "shellwords"

Jekyll::Hooks.register :site, :post_write do |site|
  options = site.config["blogsearch"] || {}
  next if options.fetch("skip_on_serve", true) && site.config["serving"]

  command = options.fetch("command", "blogsearch")
  index = options.fetch("index", File.join(File.dirname(site.source), "_blogsearch"))
  args = [command, "index", "--posts", site.source, "--index", index]
  { "url" => "--base-url", "permalink" => "--permalink", "timezone" => "--timezone" }.each do |key, flag|
    value = site.config[key]
    if key == "url" && value
      value = value.to_s.chomp("/") + site.config["baseurl"].to_s
    end
    args += [flag, value.to_s] if value && !value.to_s.empty?
  end
  args << "--future" if site.config["future"]

  Jekyll.logger.info "blogsearch:", args.shelljoin
  output = IO.popen(args, err: [:child, :out], &:read)
  unless $?.success?
    raise "blogsearch index failed (exit #{$?.exitstatus}): #{output.strip}"
  end
  Jekyll.logger.info "blogsearch:", output.strip.lines.last.to_s.strip
end
