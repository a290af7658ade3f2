// The GPU presenter: the primary surface is one RGBA8 texture; only damaged rectangles are
// uploaded (texSubImage2D), and a single triangle covering the canvas fetches its texels 1:1. The
// canvas has the surface's size; CSS scales it to the window. A lost context is recovered by
// building everything again and asking for the whole surface (onRestored).
// The texture holds the surface's 0xAARRGGBB words as they are in memory (bytes B, G, R, A), read
// straight out of the surface with UNPACK_ROW_LENGTH, and the shader swaps red and blue: no
// pixel is copied or converted on the CPU.
// Video pictures (overlays) are drawn after the surface: each stream's newest picture is one
// texture, uploaded from the VideoFrame or ImageBitmap itself (texImage2D) when it changes, and
// drawn as a quad scaled into its dest, once per clip rectangle under a scissor, flipped when the
// stream is bottom-up. Nothing of it passes through the CPU.
import type { AnyCanvas, OverlaySource, PixelPatch, Presenter } from './presenter.ts';

const VERTEX_SHADER = `#version 300 es
void main() {
  // A triangle that covers clip space: (-1,-1), (3,-1), (-1,3).
  vec2 p = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
  gl_Position = vec4(p, 0.0, 1.0);
}`;

const FRAGMENT_SHADER = `#version 300 es
precision highp float;
uniform highp sampler2D surface;
uniform int surfaceHeight;
out vec4 colour;
void main() {
  // Texture row 0 is the top of the screen; gl_FragCoord counts from the bottom.
  ivec2 p = ivec2(gl_FragCoord.xy);
  vec4 bgra = texelFetch(surface, ivec2(p.x, surfaceHeight - 1 - p.y), 0);
  colour = vec4(bgra.b, bgra.g, bgra.r, 1.0);
}`;

const OVERLAY_VERTEX_SHADER = `#version 300 es
uniform vec4 dest; // left, top, right, bottom in canvas pixels, top-down
uniform vec2 canvasSize;
uniform bool bottomUp;
out vec2 texel;
void main() {
  // A strip of two triangles over dest: corners (0,0), (1,0), (0,1), (1,1).
  vec2 c = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  vec2 p = mix(dest.xy, dest.zw, c);
  gl_Position = vec4(p.x / canvasSize.x * 2.0 - 1.0, 1.0 - p.y / canvasSize.y * 2.0, 0.0, 1.0);
  // Texture row 0 is the picture's first row: the top, unless the stream is bottom-up.
  texel = vec2(c.x, bottomUp ? 1.0 - c.y : c.y);
}`;

const OVERLAY_FRAGMENT_SHADER = `#version 300 es
precision highp float;
uniform sampler2D picture;
in vec2 texel;
out vec4 colour;
void main() {
  colour = vec4(texture(picture, texel).rgb, 1.0);
}`;

/** Texture unit of the overlays: unit 0 keeps the surface's texture bound. */
const OVERLAY_UNIT = 1;

interface OverlayTexture {
  texture: WebGLTexture;
  generation: number;
}

export class WebGlPresenter implements Presenter {
  readonly kind = 'webgl2';
  private readonly gl: WebGL2RenderingContext;
  private program: WebGLProgram | null = null;
  private texture: WebGLTexture | null = null;
  private heightLocation: WebGLUniformLocation | null = null;
  private overlayProgram: WebGLProgram | null = null;
  private overlayUniforms: { dest: WebGLUniformLocation | null; canvasSize: WebGLUniformLocation | null; bottomUp: WebGLUniformLocation | null } | null = null;
  private readonly overlayTextures = new Map<string, OverlayTexture>();
  private width = 0;
  private height = 0;
  private lost = false;
  private restoredWaiters: (() => void)[] = [];

  /**
   * A WebGL2 presenter, or null where there is no WebGL2, or where it is rendered in software
   * (SwiftShader, llvmpipe) and `allowSoftware` is not set: there every WebGL frame is read back
   * and composited on the CPU, which the gateway bench measured at less than half the frame rate
   * of the 2D canvas, so the 2D canvas is the better fallback.
   */
  static create(canvas: AnyCanvas, onRestored: () => void, o: { allowSoftware?: boolean; lowLatency?: boolean } = {}): WebGlPresenter | null {
    if (!o.allowSoftware && isSoftwareWebGl()) return null;
    const gl = canvas.getContext('webgl2', {
      alpha: false,
      antialias: false,
      depth: false,
      stencil: false,
      premultipliedAlpha: false,
      preserveDrawingBuffer: false,
      desynchronized: o.lowLatency === true,
    });
    return gl ? new WebGlPresenter(canvas, gl as WebGL2RenderingContext, onRestored) : null;
  }

  private constructor(
    private readonly canvas: AnyCanvas,
    gl: WebGL2RenderingContext,
    onRestored: () => void,
  ) {
    this.gl = gl;
    canvas.addEventListener('webglcontextlost', (e) => {
      // Without preventDefault the browser never restores the context.
      e.preventDefault();
      this.lost = true;
      this.program = null;
      this.texture = null;
      this.overlayProgram = null;
      // The textures went with the context: the overlays are uploaded again once it is back.
      this.overlayTextures.clear();
    });
    canvas.addEventListener('webglcontextrestored', () => {
      this.lost = false;
      this.setUp();
      if (this.width > 0) this.allocate();
      onRestored();
      for (const done of this.restoredWaiters.splice(0)) done();
    });
    this.setUp();
  }

  get contextLost(): boolean {
    return this.lost;
  }

  private setUp(): void {
    const gl = this.gl;
    const compile = (type: number, source: string): WebGLShader => {
      const s = gl.createShader(type);
      if (!s) throw new Error('WebGL2: cannot create a shader');
      gl.shaderSource(s, source);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS) && !gl.isContextLost()) throw new Error(`WebGL2 shader: ${gl.getShaderInfoLog(s)}`);
      return s;
    };
    const link = (vertex: string, fragment: string): WebGLProgram => {
      const program = gl.createProgram();
      if (!program) throw new Error('WebGL2: cannot create a program');
      gl.attachShader(program, compile(gl.VERTEX_SHADER, vertex));
      gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragment));
      gl.linkProgram(program);
      if (!gl.getProgramParameter(program, gl.LINK_STATUS) && !gl.isContextLost()) throw new Error(`WebGL2 program: ${gl.getProgramInfoLog(program)}`);
      return program;
    };
    const overlay = link(OVERLAY_VERTEX_SHADER, OVERLAY_FRAGMENT_SHADER);
    this.overlayProgram = overlay;
    gl.useProgram(overlay);
    gl.uniform1i(gl.getUniformLocation(overlay, 'picture'), OVERLAY_UNIT);
    this.overlayUniforms = {
      dest: gl.getUniformLocation(overlay, 'dest'),
      canvasSize: gl.getUniformLocation(overlay, 'canvasSize'),
      bottomUp: gl.getUniformLocation(overlay, 'bottomUp'),
    };
    const program = link(VERTEX_SHADER, FRAGMENT_SHADER);
    this.program = program;
    gl.useProgram(program);
    gl.uniform1i(gl.getUniformLocation(program, 'surface'), 0);
    this.heightLocation = gl.getUniformLocation(program, 'surfaceHeight');
    // The triangle needs no vertex data, but a vertex array must be bound.
    gl.bindVertexArray(gl.createVertexArray());
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 4);
  }

  private allocate(): void {
    const gl = this.gl;
    if (this.texture) gl.deleteTexture(this.texture);
    this.texture = gl.createTexture();
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, this.width, this.height);
    gl.useProgram(this.program);
    gl.uniform1i(this.heightLocation, this.height);
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.canvas.width = width;
    this.canvas.height = height;
    if (!this.lost) this.allocate();
  }

  draw(patches: readonly PixelPatch[], overlays: readonly OverlaySource[] = []): void {
    if (this.lost || !this.texture || this.width === 0) return;
    const gl = this.gl;
    gl.activeTexture(gl.TEXTURE0);
    for (const p of patches) {
      if (p.width === 0 || p.height === 0) continue;
      gl.pixelStorei(gl.UNPACK_ROW_LENGTH, p.stride);
      const bytes = new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, p.x, p.y, p.width, p.height, gl.RGBA, gl.UNSIGNED_BYTE, bytes, p.offset * 4);
    }
    this.show(overlays);
  }

  /** The whole surface, then the overlays: the drawing buffer is not preserved between frames. */
  private show(overlays: readonly OverlaySource[]): void {
    const gl = this.gl;
    gl.viewport(0, 0, this.width, this.height);
    gl.useProgram(this.program);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    this.drawOverlays(overlays);
  }

  private drawOverlays(overlays: readonly OverlaySource[]): void {
    const gl = this.gl;
    const keep = new Set(overlays.map((o) => o.key));
    for (const [key, t] of this.overlayTextures) {
      if (keep.has(key)) continue;
      gl.deleteTexture(t.texture);
      this.overlayTextures.delete(key);
    }
    if (overlays.length === 0 || !this.overlayProgram || !this.overlayUniforms) return;
    gl.useProgram(this.overlayProgram);
    gl.activeTexture(gl.TEXTURE0 + OVERLAY_UNIT);
    gl.uniform2f(this.overlayUniforms.canvasSize, this.width, this.height);
    gl.enable(gl.SCISSOR_TEST);
    for (const o of overlays) {
      if (!this.bindOverlay(o)) continue;
      gl.uniform4f(this.overlayUniforms.dest, o.dest.left, o.dest.top, o.dest.right, o.dest.bottom);
      gl.uniform1i(this.overlayUniforms.bottomUp, o.bottomUp ? 1 : 0);
      for (const r of o.rects) {
        // Scissor boxes count rows from the bottom.
        gl.scissor(r.left, this.height - r.bottom, r.right - r.left, r.bottom - r.top);
        gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
      }
    }
    gl.disable(gl.SCISSOR_TEST);
    gl.activeTexture(gl.TEXTURE0);
  }

  /** Binds the overlay's texture, uploading its picture when it is a new one; false when it cannot be uploaded. */
  private bindOverlay(o: OverlaySource): boolean {
    const gl = this.gl;
    let t = this.overlayTextures.get(o.key);
    if (!t) {
      const texture = gl.createTexture();
      if (!texture) return false;
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      t = { texture, generation: -1 };
      this.overlayTextures.set(o.key, t);
    }
    gl.bindTexture(gl.TEXTURE_2D, t.texture);
    if (t.generation === o.generation) return true;
    // The surface's uploads set a row length; a picture is uploaded whole.
    gl.pixelStorei(gl.UNPACK_ROW_LENGTH, 0);
    try {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, o.source);
    } catch {
      // A picture closed before this frame (its stream went on): the next one will do.
      return false;
    }
    t.generation = o.generation;
    return true;
  }

  /**
   * For tests: loses the context now and restores it after `ms` (WEBGL_lose_context); true once
   * it is restored and the whole surface asked for again.
   */
  loseContextFor(ms: number): Promise<boolean> {
    const ext = this.gl.getExtension('WEBGL_lose_context');
    if (!ext) return Promise.resolve(false);
    const restored = new Promise<boolean>((done) => this.restoredWaiters.push(() => done(true)));
    ext.loseContext();
    setTimeout(() => ext.restoreContext(), ms);
    return restored;
  }

  readPixels(overlays: readonly OverlaySource[] = []): { width: number; height: number; rgba: Uint8Array } | null {
    if (this.lost || this.width === 0) return null;
    const gl = this.gl;
    // The drawing buffer is not preserved after it is shown, so draw again and read in one task.
    if (!this.texture) return null;
    this.show(overlays);
    const w = this.width;
    const h = this.height;
    const bottomUp = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, bottomUp);
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) rgba.set(bottomUp.subarray((h - 1 - y) * w * 4, (h - y) * w * 4), y * w * 4);
    return { width: w, height: h, rgba };
  }
}

/** Whether WebGL2 here is rendered on the CPU; probed on a throwaway canvas, so that the real one can still get a 2D context. */
function isSoftwareWebGl(): boolean {
  const probe = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1).getContext('webgl2') : document.createElement('canvas').getContext('webgl2');
  if (!probe) return false;
  const info = probe.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(probe.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : probe.RENDERER) ?? '');
  probe.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}
